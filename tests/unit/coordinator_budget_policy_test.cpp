// BudgetPolicy: the order load is shed in, one stage per check over budget, and the hysteresis
// that undoes it (three calm checks per stage, last stage first; holding in between).
#define BOOST_TEST_MODULE coordinator_budget_policy
#include <boost/test/unit_test.hpp>

#include "coordinator/budget/budget_policy.hpp"
#include "coordinator/budget/shedding.hpp"

using namespace dbg::coord::budget;

namespace {

constexpr int64_t kMiB = 1 << 20;
const BudgetLimits kLimits{50 * kMiB, 5.0};

BudgetSample rss(int64_t mib) { return BudgetSample{mib * kMiB, std::nullopt}; }
BudgetSample cpu(double percent) { return BudgetSample{10 * kMiB, percent}; }

}  // namespace

BOOST_AUTO_TEST_CASE(each_check_over_budget_sheds_the_next_stage_in_order) {
  BudgetPolicy p(kLimits);
  BOOST_TEST(static_cast<int>(p.observe(rss(60))) == static_cast<int>(Stage::lower_sampling));
  BOOST_TEST(p.over());
  BOOST_TEST(p.reason().find("rss 60.0 MiB > 50.0 MiB") != std::string::npos, p.reason());
  BOOST_TEST(static_cast<int>(p.observe(rss(60))) == static_cast<int>(Stage::shrink_caches));
  BOOST_TEST(static_cast<int>(p.observe(cpu(9))) == static_cast<int>(Stage::refuse_sessions));
  BOOST_TEST(p.reason().find("cpu 9.00 % > 5.00 %") != std::string::npos, p.reason());
  BOOST_TEST(static_cast<int>(p.observe(rss(60))) == static_cast<int>(Stage::refuse_sessions));  // the last stage holds
  BOOST_TEST(stage_name(Stage::refuse_sessions) == "refuse_sessions");
}

BOOST_AUTO_TEST_CASE(recovery_needs_calm_checks_and_undoes_the_last_stage_first) {
  BudgetPolicy p(kLimits);
  for (int i = 0; i < 3; ++i) p.observe(rss(60));
  // 46 MiB: under the limit but above the calm line (90 %): the stage holds however long.
  for (int i = 0; i < 10; ++i) BOOST_TEST(static_cast<int>(p.observe(rss(46))) == 3);
  BOOST_TEST(!p.over());
  BOOST_TEST(static_cast<int>(p.observe(rss(20))) == 3);
  BOOST_TEST(static_cast<int>(p.observe(rss(20))) == 3);
  BOOST_TEST(static_cast<int>(p.observe(rss(20))) == 2);  // third calm check: one stage undone
  p.observe(rss(20));
  p.observe(rss(46));  // not calm: the count starts again
  p.observe(rss(20));
  BOOST_TEST(static_cast<int>(p.observe(rss(20))) == 2);
  BOOST_TEST(static_cast<int>(p.observe(rss(20))) == 1);
  BOOST_TEST(static_cast<int>(p.observe(rss(60))) == 2);  // over again: escalates at once
  for (int i = 0; i < 6; ++i) p.observe(cpu(1));
  BOOST_TEST(static_cast<int>(p.stage()) == 0);
}

BOOST_AUTO_TEST_CASE(cpu_is_not_judged_without_a_full_window) {
  BudgetPolicy p(kLimits);
  BOOST_TEST(static_cast<int>(p.observe(BudgetSample{10 * kMiB, std::nullopt})) == 0);
  BOOST_TEST(!p.over());
  BOOST_TEST(static_cast<int>(p.observe(cpu(4.5))) == 0);  // under 5 %: fine
  BOOST_TEST(static_cast<int>(p.observe(cpu(5.5))) == 1);
}

BOOST_AUTO_TEST_CASE(shedding_halves_new_profiles_rate_then_refuses_sessions) {
  Shedding s;
  BOOST_TEST(s.cap_profile_hz(99) == 99);
  BOOST_TEST(!s.refuse_sessions());
  s.set_stage(1);
  BOOST_TEST(s.cap_profile_hz(99) == 49);
  BOOST_TEST(s.cap_profile_hz(1) == 1);
  BOOST_TEST(!s.refuse_sessions());
  s.set_stage(3);
  BOOST_TEST(s.cap_profile_hz(1000) == 500);
  BOOST_TEST(s.refuse_sessions());
}
