#pragma once
// OverheadGovernor: keeps the time the profiler keeps target threads paused under a share of
// their time, by measurement. Overhead = sum of all pauses / (elapsed x live threads), the
// thread-seconds integrated tick by tick as threads come and go.
//
// Before each tick it asks: if the next tick pauses as long as recent ticks did (an average of
// measured tick pauses), would the running total stay within the budget? If not, the tick waits
// until enough thread-time has passed. The rate therefore never exceeds the requested one, and
// falls as far as the measured pauses require; it rises again when pauses shrink (idle threads
// are counted without pausing them). A margin (kHeadroom) absorbs one tick that pauses longer
// than the average predicts.
#include <cstddef>

namespace dbg::worker {

class OverheadGovernor {
 public:
  static constexpr double kHeadroom = 0.85;
  // Assumed pause per thread before any tick was measured: a generous interrupt + copy + detach.
  static constexpr double kInitialPausePerThreadS = 100e-6;

  OverheadGovernor(double requested_hz, double max_overhead_pct);

  // Seconds since the start at which the next tick may begin, with `threads` live threads.
  double next_tick_at(size_t threads) const;
  // Accounts the thread-time up to `t` (seconds since start) with `threads` live since the last call.
  void advance(double t, size_t threads);
  // A tick that began at `t` paused target threads for `pause_s` in total.
  void record_tick(double t, double pause_s, size_t threads);

  double overhead_pct() const { return thread_s_ > 0 ? 100.0 * paused_s_ / thread_s_ : 0; }
  double paused_s() const { return paused_s_; }
  // True once the budget, not the requested rate, decided when a tick could start.
  bool limited() const { return limited_; }
  double requested_hz() const { return requested_hz_; }

 private:
  double requested_hz_;
  double budget_;  // fraction, with headroom
  double thread_s_ = 0, paused_s_ = 0;
  double accounted_until_ = 0;
  size_t threads_ = 0;
  double last_tick_ = -1;
  double tick_pause_estimate_ = -1;  // seconds; < 0 until a tick was measured
  mutable bool limited_ = false;
};

}  // namespace dbg::worker
