#include "worker/capture/capture_priority.hpp"

#include <sched.h>
#include <signal.h>
#include <sys/resource.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "worker/ptrace/thread_wait.hpp"

namespace dbg::worker {

namespace {

// The RT priority of the window: the lowest, see the header.
constexpr int kCapturePriority = 1;
// RLIMIT_RTTIME, in microseconds of CPU used in a real-time class without blocking. A capture
// blocks (sigtimedwait) at nearly every thread, so even a process of a thousand threads stays
// far below the soft limit; only a runaway loop reaches it.
// Poll a thread's stop this long before sleeping, inside a real-time window (thread_wait.hpp).
constexpr std::chrono::microseconds kRealtimeStopSpin{20};
constexpr rlim_t kRtSoftLimitUs = 200'000;
constexpr rlim_t kRtHardLimitUs = 2'000'000;

std::atomic<int> policy_override{-1};
std::atomic<unsigned> demotions{0};

// SIGXCPU at RLIMIT_RTTIME's soft limit: drop the thread that ran too long back to the normal
// class (sched_setscheduler is a plain system call, safe in a handler). The kernel raises the
// soft limit by a second each time it fires; the next window resets it (arm_rttime_limit).
void on_sigxcpu(int) {
  sched_param normal{};
  normal.sched_priority = 0;
  ::sched_setscheduler(0, SCHED_OTHER, &normal);
  demotions.fetch_add(1, std::memory_order_relaxed);
}

void install_sigxcpu_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_sigxcpu;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGXCPU, &sa, nullptr);
}

// Sets the bound before every window: the kernel moves the soft limit up after a SIGXCPU.
bool arm_rttime_limit(std::string& reason) {
  static std::once_flag handler_once;
  std::call_once(handler_once, install_sigxcpu_handler);
  rlimit current{};
  if (::getrlimit(RLIMIT_RTTIME, &current) != 0) {
    reason = std::string("getrlimit(RLIMIT_RTTIME): ") + std::strerror(errno);
    return false;
  }
  rlimit wanted{kRtSoftLimitUs, kRtHardLimitUs};
  // Never loosen a stricter limit someone set for us.
  if (current.rlim_max != RLIM_INFINITY && current.rlim_max < wanted.rlim_max) wanted.rlim_max = current.rlim_max;
  if (wanted.rlim_cur > wanted.rlim_max) wanted.rlim_cur = wanted.rlim_max;
  if (current.rlim_cur == wanted.rlim_cur && current.rlim_max == wanted.rlim_max) return true;
  if (::setrlimit(RLIMIT_RTTIME, &wanted) != 0) {
    // Without a bound we do not go real-time at all.
    reason = std::string("setrlimit(RLIMIT_RTTIME): ") + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace

bool parse_capture_policy(const std::string& text, CapturePolicy& out) {
  if (text == "realtime") {
    out = CapturePolicy::kRealtime;
    return true;
  }
  if (text == "normal") {
    out = CapturePolicy::kNormal;
    return true;
  }
  return false;
}

CapturePolicy configured_capture_policy() {
  int forced = policy_override.load();
  if (forced >= 0) return static_cast<CapturePolicy>(forced);
  static const CapturePolicy from_env = [] {
    CapturePolicy p = CapturePolicy::kRealtime;
    if (const char* v = std::getenv("DBG_CAPTURE_PRIORITY")) (void)parse_capture_policy(v, p);
    return p;
  }();
  return from_env;
}

void set_capture_policy(CapturePolicy policy) { policy_override.store(static_cast<int>(policy)); }

CapturePriority::CapturePriority(CapturePolicy policy) {
  if (policy == CapturePolicy::kNormal) {
    reason_ = "configured";
    return;
  }
  old_policy_ = ::sched_getscheduler(0);
  sched_param old{};
  ::sched_getparam(0, &old);
  old_priority_ = old.sched_priority;
  if (old_policy_ == SCHED_FIFO || old_policy_ == SCHED_RR) {
    reason_ = "already real-time";  // started under chrt by its operator: leave that alone
    return;
  }
  if (!arm_rttime_limit(reason_)) return;
  sched_param rt{};
  rt.sched_priority = kCapturePriority;
  if (::sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &rt) != 0) {
    reason_ = std::string("sched_setscheduler(SCHED_FIFO): ") + std::strerror(errno) +
              (errno == EPERM ? " (needs CAP_SYS_NICE or RLIMIT_RTPRIO >= 1)" : "");
    return;
  }
  raised_ = true;
  old_spin_us_ = static_cast<int>(stop_spin().count());
  set_stop_spin(kRealtimeStopSpin);
  demotions_at_start_ = demotions.load(std::memory_order_relaxed);
}

CapturePriority::~CapturePriority() {
  if (!raised_) return;
  sched_param old{};
  old.sched_priority = old_priority_;
  ::sched_setscheduler(0, old_policy_, &old);
  set_stop_spin(std::chrono::microseconds(old_spin_us_));
}

CaptureSchedReport CapturePriority::report() const {
  CaptureSchedReport r;
  if (!raised_) {
    r.sched_class = reason_ == "already real-time" ? "realtime" : "normal";
    r.reason = reason_;
    return r;
  }
  r.sched_class = "realtime";
  if (demotions.load(std::memory_order_relaxed) != demotions_at_start_)
    r.reason = "demoted: RLIMIT_RTTIME soft limit reached";
  return r;
}

}  // namespace dbg::worker
