#include "worker/profile/profile_governor.hpp"

#include <algorithm>
#include <cmath>

namespace dbg::worker {

OverheadGovernor::OverheadGovernor(double requested_hz, double max_overhead_pct)
    : requested_hz_(requested_hz), budget_(max_overhead_pct / 100.0 * kHeadroom) {}

double OverheadGovernor::due_by_rate() const {
  // Ticks fall on a fixed grid (k / hz): a tick that started late does not push every later one
  // back, and a missed grid point is skipped rather than made up in a burst.
  const double period = 1.0 / requested_hz_;
  if (last_tick_ < 0) return period;
  return (std::floor(last_tick_ / period + 1e-9) + 1) * period;
}

double OverheadGovernor::allowed_at(size_t captures, size_t threads) const {
  if (captures == 0) return 0;  // pauses nothing: always within budget
  const double n = static_cast<double>(std::max<size_t>(threads, 1));
  const double expected = static_cast<double>(captures) * pause_estimate_;
  // Smallest t with paused + expected <= budget * (thread_s + n * (t - accounted_until)).
  return accounted_until_ + ((paused_s_ + expected) / budget_ - thread_s_) / n;
}

void OverheadGovernor::advance(double t, size_t threads) {
  if (t > accounted_until_) {
    thread_s_ += static_cast<double>(threads_) * (t - accounted_until_);
    accounted_until_ = t;
  }
  threads_ = threads;
}

double OverheadGovernor::slack_s(double t, size_t threads) {
  advance(t, threads);
  return std::max(pause_estimate_, budget_ * thread_s_ - paused_s_);
}

void OverheadGovernor::record_tick(double t, double pause_s, size_t captures, size_t threads) {
  advance(t, threads);
  paused_s_ += pause_s;
  last_tick_ = t;
  if (captures == 0) return;
  // Weighted toward recent pauses, but a long one moves it at once (it is the risk to the budget).
  const double per_thread = pause_s / static_cast<double>(captures);
  pause_estimate_ = std::max(per_thread, 0.7 * pause_estimate_ + 0.3 * per_thread);
}

}  // namespace dbg::worker
