#include "worker/ptrace/thread_wait.hpp"

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <optional>

namespace dbg::worker {

Waited wait_thread(pid_t tid, std::chrono::steady_clock::time_point deadline,
                   std::chrono::steady_clock::time_point spin_until) {
  using Clock = std::chrono::steady_clock;
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(tid, &status, __WALL | WNOHANG);
    if (r == tid) return {Waited::kStatus, status, 0};
    if (r == -1 && errno != EINTR) return {Waited::kGone, 0, errno};
    auto now = Clock::now();
    auto left = deadline - now;
    if (left <= Clock::duration::zero()) return {Waited::kTimeout, 0, 0};
    if (now < spin_until) {
      ::sched_yield();
      continue;
    }
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    ::sigtimedwait(&chld, nullptr, &ts);
  }
}

namespace {

thread_local std::chrono::microseconds spin_of_this_thread{100};

std::optional<std::chrono::microseconds> spin_from_env() {
  static const std::optional<std::chrono::microseconds> spin = []() -> std::optional<std::chrono::microseconds> {
    const char* v = std::getenv("DBG_CAPTURE_SPIN_US");
    if (!v || !*v) return std::nullopt;
    return std::chrono::microseconds(std::clamp(std::atol(v), 0L, 10'000L));
  }();
  return spin;
}

}  // namespace

std::chrono::microseconds stop_spin() { return spin_from_env().value_or(spin_of_this_thread); }

void set_stop_spin(std::chrono::microseconds spin) { spin_of_this_thread = spin; }

}  // namespace dbg::worker
