// The overhead governor and the sample buffer, driven with made-up pauses and stacks: no target,
// no clock, so the arithmetic is checked exactly (the live checks are in worker_profile_test).
#define BOOST_TEST_MODULE worker_profile_governor
#include <boost/test/unit_test.hpp>

#include "worker/profile/profile_governor.hpp"
#include "worker/profile/profile_samples.hpp"

using dbg::worker::OverheadGovernor;
using dbg::worker::SampleBuffer;

namespace {

// Runs a simulated profile: every tick pauses `captures` of `threads` threads for `pause_s`
// each; ticks start as soon as both the rate and the budget allow. Returns {ticks, overhead %}.
std::pair<int, double> simulate(double hz, double budget_pct, size_t threads, size_t captures, double pause_s, double duration_s) {
  OverheadGovernor g(hz, budget_pct);
  g.advance(0, threads);
  int ticks = 0;
  for (;;) {
    double t = std::max(g.due_by_rate(), g.allowed_at(captures, threads));
    if (t >= duration_s) break;
    g.record_tick(t, pause_s * static_cast<double>(captures), captures, threads);
    ++ticks;
  }
  g.advance(duration_s, threads);
  return {ticks, g.overhead_pct()};
}

}  // namespace

BOOST_AUTO_TEST_CASE(ticks_fall_on_the_requested_grid_when_pauses_are_cheap) {
  OverheadGovernor g(100, 2);
  g.advance(0, 1);
  BOOST_TEST(g.due_by_rate() == 0.01, boost::test_tools::tolerance(1e-9));
  g.record_tick(0.0137, 0, 0, 1);  // a late tick does not shift the grid
  BOOST_TEST(g.due_by_rate() == 0.02, boost::test_tools::tolerance(1e-9));
  auto [ticks, overhead] = simulate(100, 2, 4, 4, 10e-6, 10);
  BOOST_TEST(ticks >= 990);
  BOOST_TEST(overhead < 2.0);
}

BOOST_AUTO_TEST_CASE(expensive_pauses_lower_the_rate_and_the_overhead_stays_within_budget) {
  // 64 threads at 999 Hz, 200 us per pause, 1 %: the rate must fall to about
  // 0.0085 * 64 / (64 * 200e-6) = 42 Hz.
  auto [ticks, overhead] = simulate(999, 1, 64, 64, 200e-6, 10);
  BOOST_TEST_MESSAGE("ticks " << ticks << " overhead " << overhead);
  BOOST_TEST(overhead < 1.0);
  BOOST_TEST(overhead > 0.5);  // and the budget is used, not wasted
  BOOST_TEST(ticks < 999 * 10);
  BOOST_TEST(ticks > 300);
}

BOOST_AUTO_TEST_CASE(a_tick_that_pauses_nobody_is_always_allowed) {
  OverheadGovernor g(99, 1);
  g.advance(0, 8);
  g.record_tick(0.01, 0.5, 8, 8);  // a disastrous tick: far over budget
  BOOST_TEST(g.allowed_at(1, 8) > 1.0);  // pausing again must wait a long time
  BOOST_TEST(g.allowed_at(0, 8) == 0.0);  // counting idle threads again never waits
}

BOOST_AUTO_TEST_CASE(sample_buffer_evicts_oldest_first_and_frees_unused_stacks) {
  SampleBuffer b(64 * 1024);
  std::vector<uint32_t> old_stack{1, 2, 3}, new_stack{4, 5, 6};
  b.add(0, old_stack, 10);
  for (int i = 0; i < 10000; ++i) b.add(1, new_stack, 1);
  BOOST_TEST(b.evicted() > 0u);
  BOOST_TEST(b.bytes() <= 64u * 1024);
  BOOST_TEST(b.bytes_peak() <= 64u * 1024);
  BOOST_TEST(b.held() + b.evicted() == 10001u);
  uint64_t total = 0;
  bool old_seen = false;
  b.for_each_count([&](uint32_t thread, const std::vector<uint32_t>& locs, const SampleBuffer::Count& c) {
    total += c.samples;
    if (locs == old_stack) old_seen = true;
    BOOST_TEST(thread == 1u);
    BOOST_TEST(c.cpu_ns == c.samples);
  });
  BOOST_TEST(total == b.held());
  BOOST_TEST(!old_seen);  // the oldest sample went first, and its stack with it
  BOOST_TEST(b.distinct_stacks() == 1u);
}
