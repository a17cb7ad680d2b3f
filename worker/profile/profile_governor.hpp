#pragma once
// OverheadGovernor: keeps the time the profiler holds target threads stopped under a share of
// their time, by measurement. Overhead = sum of all stops / (elapsed x live threads), the
// thread-seconds integrated tick by tick as threads come and go.
//
// Before each tick the sampler knows how many threads it will pause (the others are idle and
// counted without a pause) and asks: if each pause lasts as long as recent ones did, would the
// running total stay within the budget? If not, the tick waits until enough thread-time has
// passed. So the rate never exceeds the requested one, falls as far as the measured pauses
// require, and rises again when they shrink. A margin (kHeadroom) absorbs a pause longer than
// the estimate predicted.
#include <cstddef>

namespace dbg::worker {

class OverheadGovernor {
 public:
  static constexpr double kHeadroom = 0.85;
  // Assumed stop per thread before any was measured: a generous interrupt + copy + detach.
  static constexpr double kInitialPauseS = 100e-6;

  OverheadGovernor(double requested_hz, double max_overhead_pct);

  // Seconds since the start at which the next tick is due by the requested rate.
  double due_by_rate() const;
  // Seconds since the start from which a tick that pauses `captures` threads, with `threads`
  // live, keeps the overhead within budget (<= due_by_rate() when the budget is not binding).
  double allowed_at(size_t captures, size_t threads) const;
  // Accounts the thread-time up to `t` (seconds since start) with `threads` live since the last call.
  void advance(double t, size_t threads);
  // A tick at `t` stopped `captures` threads for `pause_s` in total.
  void record_tick(double t, double pause_s, size_t captures, size_t threads);
  // The budget, not the requested rate, delayed a tick.
  void note_limited() { limited_ = true; }

  // Pause time the budget still allows at `t` (seconds since start, accounted with `threads`
  // live): what one tick may spend before it must stop pausing more threads. Never below one
  // pause estimate, so that a tick can always take at least one sample.
  double slack_s(double t, size_t threads);

  double overhead_pct() const { return thread_s_ > 0 ? 100.0 * paused_s_ / thread_s_ : 0; }
  bool limited() const { return limited_; }

 private:
  double requested_hz_;
  double budget_;  // fraction, with headroom
  double thread_s_ = 0, paused_s_ = 0;
  double accounted_until_ = 0;
  size_t threads_ = 0;
  double last_tick_ = -1;
  double pause_estimate_ = kInitialPauseS;  // per paused thread
  bool limited_ = false;
};

}  // namespace dbg::worker
