#include "coordinator/watch/watcher_process.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/process/async_pipe.hpp>
#include <boost/process/child.hpp>
#include <boost/process/io.hpp>
#include <deque>
#include <spdlog/spdlog.h>

namespace dbg::coord::watch {

namespace bp = boost::process;

namespace {
// A crash context is bounded (20 frames x 256 threads by default); 64 MiB covers the largest
// options allow with room to spare.
constexpr size_t kMaxLineBytes = 64 << 20;
}  // namespace

struct WatcherProcess::Impl {
  Impl(boost::asio::io_context& ioc, boost::asio::any_io_executor s, LineHandler l, ExitHandler e)
      : strand(std::move(s)), in(ioc), out(ioc), input(kMaxLineBytes), on_line(std::move(l)), on_exit(std::move(e)) {}
  boost::asio::any_io_executor strand;
  bp::async_pipe in;
  bp::async_pipe out;
  bp::child child;
  boost::asio::streambuf input;
  std::deque<std::string> outbox;
  LineHandler on_line;
  ExitHandler on_exit;
  std::string kill_reason;
};

std::shared_ptr<WatcherProcess> WatcherProcess::spawn(boost::asio::io_context& ioc, boost::asio::any_io_executor strand,
                                                      const std::string& executable, LineHandler on_line,
                                                      ExitHandler on_exit) {
  auto impl = std::make_unique<Impl>(ioc, strand, std::move(on_line), std::move(on_exit));
  impl->child = bp::child(executable, "watch", bp::std_in < impl->in, bp::std_out > impl->out);
  std::shared_ptr<WatcherProcess> self(new WatcherProcess(std::move(impl)));
  self->read_next();
  return self;
}

WatcherProcess::WatcherProcess(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WatcherProcess::~WatcherProcess() {
  std::error_code ec;
  if (impl_->child.valid() && impl_->child.running(ec)) impl_->child.terminate(ec);
  if (impl_->child.valid()) impl_->child.wait(ec);
}

pid_t WatcherProcess::pid() const { return impl_->child.id(); }

void WatcherProcess::read_next() {
  boost::asio::async_read_until(
      impl_->out, impl_->input, '\n',
      boost::asio::bind_executor(impl_->strand, [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
        if (ec) {
          self->finish(self->impl_->kill_reason.empty() ? "watcher exited (" + ec.message() + ")" : self->impl_->kill_reason);
          return;
        }
        std::string line(boost::asio::buffers_begin(self->impl_->input.data()),
                         boost::asio::buffers_begin(self->impl_->input.data()) + static_cast<std::ptrdiff_t>(n) - 1);
        self->impl_->input.consume(n);
        if (self->alive_ && self->impl_->on_line) self->impl_->on_line(std::move(line));
        if (self->alive_) self->read_next();
      }));
}

void WatcherProcess::send(std::string line) {
  if (!alive_) return;
  line += '\n';
  impl_->outbox.push_back(std::move(line));
  if (impl_->outbox.size() == 1) write_next();
}

void WatcherProcess::write_next() {
  boost::asio::async_write(impl_->in, boost::asio::buffer(impl_->outbox.front()),
                           boost::asio::bind_executor(impl_->strand, [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                             if (ec) {
                               self->finish("watcher stdin closed (" + ec.message() + ")");
                               return;
                             }
                             self->impl_->outbox.pop_front();
                             if (!self->impl_->outbox.empty()) self->write_next();
                           }));
}

void WatcherProcess::kill(std::string reason) {
  if (!alive_) return;
  impl_->kill_reason = std::move(reason);
  ::kill(pid(), SIGKILL);
}

void WatcherProcess::close_input() {
  boost::system::error_code ec;
  impl_->in.close(ec);
}

void WatcherProcess::finish(std::string reason) {
  if (!alive_) return;
  alive_ = false;
  boost::system::error_code pipe_ec;
  impl_->in.close(pipe_ec);
  impl_->out.close(pipe_ec);
  std::error_code ec;
  if (impl_->child.running(ec)) impl_->child.terminate(ec);
  impl_->child.wait(ec);
  spdlog::debug("watcher {} ended: {}", pid(), reason);
  auto on_exit = std::move(impl_->on_exit);
  impl_->on_line = nullptr;
  if (on_exit) on_exit(std::move(reason));
}

}  // namespace dbg::coord::watch
