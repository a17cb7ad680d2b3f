#include "worker/core/core_chain_pipe.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <vector>

#include "dbg/unique_fd.hpp"

namespace dbg::worker::core {

namespace {

using Clock = std::chrono::steady_clock;

// The number the kernel puts the pidfd at (fs/coredump.c, COREDUMP_PIDFD_NUMBER), which %F names.
constexpr int kPidfdNumber = 3;

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

std::string seconds(std::chrono::milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

// Writing to a helper that has gone raises SIGPIPE, which would kill the handler: block it in
// this thread while we feed, and discard the one our writes raised before unblocking.
class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &s, &old_);
    sigset_t pending;
    was_pending_ = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
  }
  ~SigpipeBlocked() {
    if (!was_pending_) {
      sigset_t s;
      sigemptyset(&s);
      sigaddset(&s, SIGPIPE);
      const timespec now{0, 0};
      while (sigtimedwait(&s, nullptr, &now) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

 private:
  sigset_t old_;
  bool was_pending_ = false;
};

struct Helper {
  pid_t pid = -1;
  UniqueFd stdin_w;  // our end of its stdin
  UniqueFd pidfd;    // of the helper, to wait with a deadline; invalid when pidfd_open failed
};

// What a child that failed before exec reports through the status pipe.
struct ChildFailure {
  int stage;  // 0: setting up, 1: execve
  int err;
};

[[noreturn]] void child_fail(int status_fd, int stage, int err) {
  const ChildFailure f{stage, err};
  ssize_t ignored = ::write(status_fd, &f, sizeof f);
  (void)ignored;
  ::_exit(127);
}

// In the child, between fork and exec: async-signal-safe calls only. Every signal is blocked
// (the parent blocked them around fork) until just before execve.
[[noreturn]] void run_child(const char* path, char* const* argv, int data_r, int null_fd, int crasher_pidfd,
                            int status_w) {
  // Move every descriptor we keep above the numbers they go to, so that no dup2 below can
  // overwrite one still needed: with fds 1 and 2 closed (as the kernel starts its helpers),
  // pipe2() may well have returned 1 or 2.
  const int st = ::fcntl(status_w, F_DUPFD_CLOEXEC, 10);
  if (st < 0) ::_exit(127);
  const int rd = ::fcntl(data_r, F_DUPFD, 10);
  const int nul = ::fcntl(null_fd, F_DUPFD, 10);
  const int pfd = crasher_pidfd >= 0 ? ::fcntl(crasher_pidfd, F_DUPFD, 10) : -1;
  if (rd < 0 || nul < 0 || (crasher_pidfd >= 0 && pfd < 0)) child_fail(st, 0, errno);
  if (::dup2(rd, STDIN_FILENO) < 0 || ::dup2(nul, STDOUT_FILENO) < 0 || ::dup2(nul, STDERR_FILENO) < 0)
    child_fail(st, 0, errno);
  if (pfd >= 0 && ::dup2(pfd, kPidfdNumber) < 0) child_fail(st, 0, errno);
  // Nothing else of ours may reach the helper. Marked close-on-exec rather than closed so the
  // status pipe still reports an execve failure; CLOSE_RANGE_CLOEXEC is Linux 5.11.
  const unsigned first = pfd >= 0 ? kPidfdNumber + 1 : kPidfdNumber;
  if (::syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    rlimit nofile{};
    const rlim_t top = ::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY
                           ? nofile.rlim_cur
                           : 65536;
    for (rlim_t fd = first; fd < top; ++fd)
      if (static_cast<int>(fd) != st) ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
  }

  // The rest of the kernel helper's state (kernel/umh.c, call_usermodehelper_exec_async, and
  // fs/coredump.c, umh_coredump_setup).
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
  ::setsid();
  const rlimit one{1, 1};
  ::setrlimit(RLIMIT_CORE, &one);
  ::umask(022);
  if (::chdir("/") != 0) child_fail(st, 0, errno);
  const sched_param normal{};
  ::sched_setscheduler(0, SCHED_OTHER, &normal);
  ::setpriority(PRIO_PROCESS, 0, 0);

  char* const no_env[] = {nullptr};
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(path, argv, no_env);
  child_fail(st, 1, errno);
}

Result<Helper> spawn_helper(const std::vector<std::string>& argv, int crasher_pidfd) {
  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);

  int data[2], status[2];
  if (::pipe2(data, O_CLOEXEC) != 0) return Error{"io_error", std::string("pipe: ") + std::strerror(errno)};
  UniqueFd data_r(data[0]), data_w(data[1]);
  if (::pipe2(status, O_CLOEXEC) != 0) return Error{"io_error", std::string("pipe: ") + std::strerror(errno)};
  UniqueFd status_r(status[0]), status_w(status[1]);
  UniqueFd null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null_fd.valid()) return Error{"io_error", std::string("open /dev/null: ") + std::strerror(errno)};

  // No handler of ours may run in the child before exec.
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  const pid_t pid = ::fork();
  if (pid == 0) run_child(cargv[0], cargv.data(), data_r.get(), null_fd.get(), crasher_pidfd, status_w.get());
  const int fork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (pid < 0) return Error{"io_error", std::string("fork: ") + std::strerror(fork_errno)};

  data_r.reset();
  status_w.reset();
  ChildFailure failure{};
  size_t got = 0;
  while (got < sizeof failure) {
    const ssize_t n = ::read(status_r.get(), reinterpret_cast<char*>(&failure) + got, sizeof failure - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  if (got == sizeof failure) {  // the child wrote why it could not exec, then exited
    int ignored = 0;
    while (::waitpid(pid, &ignored, 0) < 0 && errno == EINTR) {
    }
    return Error{failure.stage == 1 ? "exec_failed" : "io_error",
                 std::string(failure.stage == 1 ? "exec " : "starting ") + argv[0] + ": " + std::strerror(failure.err)};
  }
  Helper h;
  h.pid = pid;
  h.stdin_w = std::move(data_w);
  h.pidfd = UniqueFd(pidfd_open(pid));
  return h;
}

enum class Feed { ok, eof, closed, stalled, failed };

// Writes all of `data` to the helper's stdin (non-blocking, so a helper that stops reading
// cannot hold us longer than `stall_limit` per piece of progress).
Feed feed(int fd, std::span<const uint8_t> data, std::chrono::milliseconds stall_limit, uint64_t& fed, int& err) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n > 0) {
      fed += static_cast<uint64_t>(n);
      data = data.subspan(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};
      const int r = ::poll(&p, 1, static_cast<int>(stall_limit.count()));
      if (r == 0) return Feed::stalled;
      if (r < 0 && errno != EINTR) {
        err = errno;
        return Feed::failed;
      }
      continue;  // writable, or POLLERR: the next write says EPIPE
    }
    if (n < 0 && errno == EPIPE) return Feed::closed;
    err = n < 0 ? errno : EIO;
    return Feed::failed;
  }
  return Feed::ok;
}

// Moves the rest of stdin into the helper's stdin with splice(2), pipe to pipe: no copy through
// us, which makes a multi-GiB core cost seconds less while the crasher waits. Both pipes must be
// ready first (the helper's end is non-blocking, and so is the splice); Feed::ok means "splice
// cannot be used here" (stdin is not a pipe): the caller copies instead.
Feed splice_feed(CoreStream& stream, int out_fd, std::chrono::milliseconds stall_limit, uint64_t& fed,
                 int& err) {
  for (;;) {
    pollfd in{stream.fd(), POLLIN, 0};
    if (::poll(&in, 1, -1) < 0 && errno != EINTR) {
      err = errno;
      return Feed::failed;
    }
    pollfd out{out_fd, POLLOUT, 0};
    const int r = ::poll(&out, 1, static_cast<int>(stall_limit.count()));
    if (r == 0) return Feed::stalled;
    if (r < 0) {
      if (errno == EINTR) continue;
      err = errno;
      return Feed::failed;
    }
    const ssize_t n = stream.splice_to(out_fd, 1 << 20);
    if (n > 0) {
      fed += static_cast<uint64_t>(n);
      continue;
    }
    if (n == 0) return Feed::eof;
    if (errno == EAGAIN) continue;  // the other end was not ready after all
    if (errno == EINVAL) return Feed::ok;
    if (errno == EPIPE) return Feed::closed;
    err = errno;
    return Feed::failed;
  }
}

// How the helper ended, or nothing when it is still running at the deadline (it is then left
// running: a previous handler is not ours to kill).
struct Ending {
  bool reaped_elsewhere = false;  // ECHILD: SIGCHLD ignored, or someone else waited for it
  int status = 0;
};

std::optional<Ending> wait_until(const Helper& h, Clock::time_point deadline) {
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(h.pid, &status, WNOHANG);
    if (r == h.pid) return Ending{false, status};
    if (r < 0 && errno == ECHILD) return Ending{true, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    if (h.pidfd.valid()) {
      pollfd p{h.pidfd.get(), POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(left.count()) + 1);  // readable once it has exited
    } else {
      const timespec tick{0, 10'000'000};  // no pidfd (pre-5.3 kernel): poll the wait status
      ::nanosleep(&tick, nullptr);
    }
  }
}

std::string describe(const Ending& e) {
  if (e.reaped_elsewhere) return "exited (its status was collected elsewhere)";
  if (WIFEXITED(e.status)) return "exited with status " + std::to_string(WEXITSTATUS(e.status));
  if (WIFSIGNALED(e.status)) return "was killed by signal " + std::to_string(WTERMSIG(e.status));
  return "ended with wait status " + std::to_string(e.status);
}

bool clean(const Ending& e) { return e.reaped_elsewhere || (WIFEXITED(e.status) && WEXITSTATUS(e.status) == 0); }

}  // namespace

ChainResult chain_to_pipe(std::string_view body, const CrashArgs& args, SpecifierFacts facts, CoreStream& stream,
                          const ChainOptions& options) {
  ChainResult r;
  r.kind = "pipe";
  facts.pidfd = std::to_string(kPidfdNumber);
  PipeCommand cmd = expand_pipe_pattern(body, args, facts);
  UniqueFd crasher_pidfd;
  if (cmd.uses_pidfd) {
    crasher_pidfd.reset(pidfd_open(args.pid));
    if (!crasher_pidfd.valid()) {  // no pidfd to pass: %F expands to nothing
      facts.pidfd.clear();
      cmd = expand_pipe_pattern(body, args, facts);
    }
  }
  if (cmd.argv.empty() || cmd.argv[0].empty()) {
    r.result = "failed: the previous core_pattern names no program";
    return r;
  }
  const std::string& prog = cmd.argv[0];

  SigpipeBlocked sigpipe_blocked;
  auto helper = spawn_helper(cmd.argv, crasher_pidfd.get());
  crasher_pidfd.reset();  // the helper has its copy
  if (!helper) {
    r.result = "failed: " + helper.error().message;
    return r;
  }

  uint64_t fed = 0;
  int err = 0;
  Feed outcome = Feed::ok;
  if (::fcntl(helper->stdin_w.get(), F_SETFL, O_NONBLOCK) != 0) {
    outcome = Feed::failed;
    err = errno;
  }
  bool try_splice = true;
  while (outcome == Feed::ok) {
    if (try_splice && !stream.prefix_left()) {
      outcome = splice_feed(stream, helper->stdin_w.get(), options.stall_limit, fed, err);
      try_splice = false;  // after Feed::ok: stdin is no pipe, copy the rest
      continue;
    }
    const auto piece = stream.next();
    if (piece.empty()) break;
    outcome = feed(helper->stdin_w.get(), piece, options.stall_limit, fed, err);
  }
  helper->stdin_w.reset();  // EOF for the helper
  stream.drain();           // whatever it did not take
  const uint64_t total = stream.bytes_seen();
  const auto ending_of = wait_until(*helper, Clock::now() + options.wait_for_exit);

  const std::string taken = std::to_string(fed) + " of " + std::to_string(total) + " bytes";
  std::string ending;
  if (ending_of) {
    ending = prog + " " + describe(*ending_of);
  } else {
    ending = prog + " still running " + seconds(options.wait_for_exit) + " after the end of the core; left running (pid " +
             std::to_string(helper->pid) + ")";
  }
  switch (outcome) {
    case Feed::ok:
    case Feed::eof:
      if (!ending_of) r.result = "ok: " + ending;
      else if (clean(*ending_of)) r.result = "ok";
      else r.result = "failed: " + ending;
      break;
    case Feed::closed:  // it took what it wanted: only its exit status can say it failed
      if (ending_of && clean(*ending_of)) r.result = "ok: " + prog + " closed its stdin after " + taken;
      else if (!ending_of) r.result = "ok: " + prog + " closed its stdin after " + taken + "; " + ending;
      else r.result = "failed: " + prog + " closed its stdin after " + taken + "; " + ending;
      break;
    case Feed::stalled:
      r.result = "failed: " + prog + " took nothing for " + seconds(options.stall_limit) + " after " + taken +
                 "; the rest was drained; " + ending;
      break;
    case Feed::failed:
      r.result = "failed: writing to " + prog + ": " + std::strerror(err) + " after " + taken + "; " + ending;
      break;
  }
  return r;
}

}  // namespace dbg::worker::core
