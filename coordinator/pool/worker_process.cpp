#include "coordinator/pool/worker_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/process/async_pipe.hpp>
#include <boost/process/child.hpp>
#include <boost/process/io.hpp>
#include <cstring>
#include <deque>
#include <vector>

#include "coordinator/logging/log.hpp"
#include "coordinator/pool/child_reaper.hpp"

namespace dbg::coord::pool {

namespace bp = boost::process;

namespace {
// A worker's answer is one snapshot, a watcher's line one crash context (20 frames x 256 threads
// by default): large for a process with thousands of threads, but bounded.
constexpr size_t kMaxLineBytes = 64 << 20;
constexpr size_t kReadChunk = 64 << 10;

// Boost.Process creates its pipes without O_CLOEXEC, so every child started later (another
// worker, the watcher, possibly on another io thread while this spawn is under way) would inherit
// our ends and the child's ends: a killed worker's stdout would then not reach EOF while another
// child held its write end, and we would never notice (nor reap) it. The child's ends reach it
// through dup2 onto 0 and 1, which clears the flag, so all four ends can be marked.
void close_on_exec(int fd) {
  if (fd <= STDERR_FILENO) return;  // already a standard stream: boost would not dup2 it
  int flags = ::fcntl(fd, F_GETFD);
  if (flags >= 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

// "exit code N" or "signal N", for the log.
std::string describe_wait_status(int status) {
  if (status < 0) return "not our child";
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}
}  // namespace

struct WorkerProcess::Impl {
  Impl(boost::asio::io_context& ioc, boost::asio::any_io_executor s, std::string m, LineHandler l, ExitHandler e)
      : strand(std::move(s)), mode(std::move(m)), in(ioc), out(ioc), on_line(std::move(l)),
        on_exit(std::move(e)) {}
  boost::asio::any_io_executor strand;
  std::string mode;    // dbg-worker's subcommand: "serve" or "watch"
  bp::async_pipe in;   // our end writes the worker's stdin
  bp::async_pipe out;  // our end reads the worker's stdout
  bp::child child;
  // Lines arrive in pieces of up to kReadChunk bytes; `pending` holds the unfinished line and
  // `scanned` how much of it is known to hold no '\n'. (async_read_until walked the buffer one
  // character at a time through buffer iterators, and copied each line that way: a few % of
  // the coordinator's CPU with snapshots of 10-20 KB per answer.)
  std::vector<char> chunk = std::vector<char>(kReadChunk);
  std::string pending;
  size_t scanned = 0;
  bool discarding = false;  // after an oversized line: read on until EOF, deliver nothing
  std::deque<std::string> outbox;
  LineHandler on_line;
  ExitHandler on_exit;
  std::string kill_reason;
};

std::shared_ptr<WorkerProcess> WorkerProcess::spawn(boost::asio::io_context& ioc, boost::asio::any_io_executor strand,
                                                    const std::string& executable, const std::string& mode,
                                                    LineHandler on_line, ExitHandler on_exit) {
  auto impl = std::make_unique<Impl>(ioc, strand, mode, std::move(on_line), std::move(on_exit));
  for (int fd : {impl->in.native_source(), impl->in.native_sink(), impl->out.native_source(), impl->out.native_sink()})
    close_on_exec(fd);
  // stderr is inherited: a worker writes there only when something is badly wrong.
  impl->child = bp::child(executable, mode, bp::std_in < impl->in, bp::std_out > impl->out);
  std::shared_ptr<WorkerProcess> self(new WorkerProcess(std::move(impl)));
  self->read_next();
  return self;
}

WorkerProcess::WorkerProcess(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WorkerProcess::~WorkerProcess() {
  // Normally finish() has handed the child to the reaper. Not when the io_context went away
  // with our read pending (shutdown): kill and collect it here, blocking only as long as the
  // kernel takes to end a SIGKILLed process. (Not bp::child::terminate: see child_reaper.hpp.)
  if (!alive_ || !impl_->child.valid()) return;
  pid_t pid = impl_->child.id();
  impl_->child.detach();
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

pid_t WorkerProcess::pid() const { return impl_->child.id(); }

std::string WorkerProcess::name() const { return impl_->mode == "watch" ? "watcher" : "worker"; }

void WorkerProcess::read_next() {
  // The pipes belong to the io_context; bind_executor puts the completions on our strand.
  impl_->out.async_read_some(
      boost::asio::buffer(impl_->chunk),
      boost::asio::bind_executor(impl_->strand, [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
        Impl& impl = *self->impl_;
        if (ec) {
          self->finish(impl.kill_reason.empty() ? self->name() + " exited (" + ec.message() + ")" : impl.kill_reason);
          return;
        }
        if (!impl.discarding) {
          impl.pending.append(impl.chunk.data(), n);
          self->deliver_lines();
          if (!self->alive_) return;
          if (impl.pending.size() > kMaxLineBytes) {
            // The read after the kill ends with EOF, and finish() reports this reason.
            self->kill(self->name() + " wrote a line over " + std::to_string(kMaxLineBytes >> 20) + " MiB");
            impl.discarding = true;
            impl.pending.clear();
            impl.scanned = 0;
          }
        }
        self->read_next();
      }));
}

void WorkerProcess::deliver_lines() {
  Impl& impl = *impl_;
  size_t start = 0;
  while (alive_) {
    const char* from = impl.pending.data() + impl.scanned;
    const void* newline = std::memchr(from, '\n', impl.pending.size() - impl.scanned);
    if (newline == nullptr) break;
    const size_t end = static_cast<size_t>(static_cast<const char*>(newline) - impl.pending.data());
    std::string line = impl.pending.substr(start, end - start);
    start = end + 1;
    impl.scanned = start;
    if (impl.on_line) impl.on_line(std::move(line));
  }
  impl.pending.erase(0, start);
  impl.scanned = impl.pending.size();
}

void WorkerProcess::send(std::string line) {
  if (!alive_) return;
  line += '\n';
  impl_->outbox.push_back(std::move(line));
  if (impl_->outbox.size() == 1) write_next();
}

void WorkerProcess::write_next() {
  boost::asio::async_write(impl_->in, boost::asio::buffer(impl_->outbox.front()),
                           boost::asio::bind_executor(impl_->strand, [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                             if (ec) {
                               self->finish(self->name() + " stdin closed (" + ec.message() + ")");
                               return;
                             }
                             self->impl_->outbox.pop_front();
                             if (!self->impl_->outbox.empty()) self->write_next();
                           }));
}

void WorkerProcess::kill(std::string reason) {
  if (!alive_) return;
  impl_->kill_reason = std::move(reason);
  ::kill(pid(), SIGKILL);  // the read then ends with EOF, and finish() reports it
}

void WorkerProcess::finish(std::string reason) {
  if (!alive_) return;
  alive_ = false;
  boost::system::error_code pipe_ec;
  impl_->in.close(pipe_ec);
  impl_->out.close(pipe_ec);
  // Reap it: the pipe's EOF means it exited or is about to; a kill makes sure. It is still our
  // unreaped child, so its pid cannot have been reused for the kill. The reaper waits until it
  // is a zombie (which may be after this EOF) and collects it; bp::child is told to forget it.
  pid_t pid = impl_->child.id();
  impl_->child.detach();
  ::kill(pid, SIGKILL);
  reap_when_exited(impl_->strand, pid, [who = name(), pid, reason](int status) {
    DBG_LOG_DEBUG("{} {} ended: {} ({})", who, pid, reason, describe_wait_status(status));
  });
  auto on_exit = std::move(impl_->on_exit);
  impl_->on_line = nullptr;
  if (on_exit) on_exit(std::move(reason));
}

}  // namespace dbg::coord::pool
