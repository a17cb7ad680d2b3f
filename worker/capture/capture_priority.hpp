#pragma once
// CapturePriority: the capture window (interrupt, wait for the stop, registers, stack copy,
// resume) runs in a real-time scheduling class, so that on a busy host the worker does not lose
// its CPU while a target thread is stopped. Measured on a 2-core host saturated by 4 spinning
// threads (docs/capture-scheduling.md): without it a stopped thread waited milliseconds for the
// worker to be scheduled again before it was released; with it, tens of microseconds.
//
// Held only for the window (RAII: the old policy comes back on every path) and bounded three ways:
//  - SCHED_FIFO at the lowest real-time priority (1): above every normal task, below every
//    real-time task the host already runs (their deadlines are not ours to break);
//  - SCHED_RESET_ON_FORK: nothing the worker starts inherits it;
//  - RLIMIT_RTTIME: a worker that would run that long without blocking (a bug, a capture of
//    thousands of threads) is demoted to the normal class by SIGXCPU at the soft limit, and
//    killed by the kernel at the hard one; a killed worker's tracees are released by the kernel
//    and the pool replaces it. The host's own RT throttling (sched_rt_runtime_us) stays in force.
// Without CAP_SYS_NICE (or with RLIMIT_RTPRIO 0) the request fails and the capture runs in the
// normal class: the report says which was used and why, and it goes into the JSON.
#include <string>

namespace dbg::worker {

enum class CapturePolicy {
  kRealtime,  // SCHED_FIFO for the window when permitted (the default)
  kNormal,    // leave the worker's class alone
};

// The policy of this worker process: kRealtime unless DBG_CAPTURE_PRIORITY=normal (the
// coordinator's --capture-priority sets it for its workers). Read once.
CapturePolicy configured_capture_policy();
// For tests and the CLI: overrides what configured_capture_policy() returns from now on.
void set_capture_policy(CapturePolicy policy);
// Parses "realtime" / "normal"; false for anything else.
bool parse_capture_policy(const std::string& text, CapturePolicy& out);

// What a capture window ran under, as reported in the snapshot and profile JSON:
// class "realtime" (SCHED_FIFO priority 1) or "normal"; reason says why a realtime request fell
// back ("" when it did not, or when normal was asked for: "configured").
struct CaptureSchedReport {
  std::string sched_class = "normal";
  std::string reason;
};

class CapturePriority {
 public:
  explicit CapturePriority(CapturePolicy policy = configured_capture_policy());
  ~CapturePriority();
  CapturePriority(const CapturePriority&) = delete;
  CapturePriority& operator=(const CapturePriority&) = delete;

  // What the window got. Asked at the end of the window, it also tells whether RLIMIT_RTTIME's
  // soft limit demoted the thread meanwhile (class "realtime", reason "demoted: ...").
  CaptureSchedReport report() const;

 private:
  bool raised_ = false;
  int old_policy_ = 0;
  int old_priority_ = 0;
  std::string reason_;
  unsigned demotions_at_start_ = 0;
  int old_spin_us_ = 100;  // Tracee::wait_stop's polling before the window
};

}  // namespace dbg::worker
