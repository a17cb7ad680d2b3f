#include "worker/ptrace/thread_wait.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include <cerrno>

namespace dbg::worker {

Waited wait_thread(pid_t tid, std::chrono::steady_clock::time_point deadline) {
  using Clock = std::chrono::steady_clock;
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(tid, &status, __WALL | WNOHANG);
    if (r == tid) return {Waited::kStatus, status};
    if (r == -1 && errno != EINTR) return {Waited::kGone, 0};
    auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) return {Waited::kTimeout, 0};
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    ::sigtimedwait(&chld, nullptr, &ts);
  }
}

}  // namespace dbg::worker
