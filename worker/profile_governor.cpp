#include "profile_governor.hpp"

#include <algorithm>

namespace dbg::worker {

OverheadGovernor::OverheadGovernor(double requested_hz, double max_overhead_pct)
    : requested_hz_(requested_hz), budget_(max_overhead_pct / 100.0 * kHeadroom) {}

double OverheadGovernor::next_tick_at(size_t threads) const {
  const double period = 1.0 / requested_hz_;
  const double by_rate = last_tick_ < 0 ? period : last_tick_ + period;
  const size_t n = std::max<size_t>(threads, 1);
  const double expected = tick_pause_estimate_ >= 0 ? tick_pause_estimate_ : static_cast<double>(n) * kInitialPausePerThreadS;
  // Smallest t with paused + expected <= budget * (thread_s + n * (t - accounted_until)).
  const double by_budget = accounted_until_ + ((paused_s_ + expected) / budget_ - thread_s_) / static_cast<double>(n);
  if (by_budget > by_rate + 1e-6) limited_ = true;
  return std::max(by_rate, by_budget);
}

void OverheadGovernor::advance(double t, size_t threads) {
  if (t > accounted_until_) {
    thread_s_ += static_cast<double>(threads_) * (t - accounted_until_);
    accounted_until_ = t;
  }
  threads_ = threads;
}

void OverheadGovernor::record_tick(double t, double pause_s, size_t threads) {
  advance(t, threads);
  paused_s_ += pause_s;
  last_tick_ = t;
  // Weighted toward recent ticks, but one long tick moves it a lot (it is the risk to the budget).
  tick_pause_estimate_ = tick_pause_estimate_ < 0 ? pause_s : std::max(pause_s, 0.7 * tick_pause_estimate_ + 0.3 * pause_s);
}

}  // namespace dbg::worker
