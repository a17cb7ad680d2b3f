// The perf sampler (issue #19) against real targets: it names the same hot functions as the
// ptrace sampler on the same target, follows threads started during the profile, ends cleanly
// when the target exits, reports itself (and never a pause), and lowers its rate to the budget;
// the ptrace sampler asked for by name still runs and says so.
#define BOOST_TEST_MODULE worker_perf_profile
#include <boost/test/unit_test.hpp>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "test_support.hpp"
#include "worker_fixture.hpp"
#include "worker_profile_support.hpp"

using namespace dbg::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// Functions whose inclusive share of the samples is at least `share`.
std::set<std::string> functions_above(const json& p, double share) {
  std::map<std::string, uint64_t> by_function;
  for (const auto& c : p.at("counts"))
    for (const auto& f : stack_functions(p, c.at(1).get<size_t>())) by_function[f] += c.at(2).get<uint64_t>();
  const double total = static_cast<double>(total_samples(p));
  std::set<std::string> out;
  for (const auto& [f, n] : by_function)
    if (static_cast<double>(n) >= share * total) out.insert(f);
  return out;
}

std::string joined(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += x + " ";
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(perf_and_ptrace_name_the_same_hot_functions_on_the_same_target) {
  auto target = start_target("profile_hotcold", {"1", "0"});
  json perf = profile_json(target.pid(), {"--sampler", "perf", "--hz", "99", "--duration", "2"});
  json ptrace = profile_json(target.pid(), {"--sampler", "ptrace", "--hz", "99", "--duration", "2"});
  BOOST_TEST(perf.at("sampler") == "perf");
  BOOST_TEST(perf.at("sampler_reason") == "");
  BOOST_TEST(ptrace.at("sampler") == "ptrace");
  BOOST_TEST(ptrace.at("sampler_reason") == "");
  const uint64_t perf_total = total_samples(perf), ptrace_total = total_samples(ptrace);
  BOOST_TEST_MESSAGE("perf: samples " << perf_total << " overhead_pct " << perf["overhead_pct"] << " per sample "
                                      << perf["overhead_per_sample_us"] << " us, lost " << perf["samples_lost"]
                                      << "; ptrace: samples " << ptrace_total << " overhead_pct " << ptrace["overhead_pct"]);
  BOOST_REQUIRE_GT(perf_total, 40u);
  BOOST_REQUIRE_GT(ptrace_total, 40u);
  // The work is 95 % profile_hot: both see it hold the large majority, and the same functions
  // above a fifth of the samples (the hot path from _start down; profile_cold's 5 % is not).
  BOOST_TEST(inclusive(perf, "profile_hot") >= perf_total * 75 / 100);
  BOOST_TEST(inclusive(ptrace, "profile_hot") >= ptrace_total * 75 / 100);
  const auto perf_hot = functions_above(perf, 0.2), ptrace_hot = functions_above(ptrace, 0.2);
  BOOST_TEST(perf_hot == ptrace_hot, "perf: " << joined(perf_hot) << "| ptrace: " << joined(ptrace_hot));
  BOOST_TEST(perf_hot.count("busy_loop") == 1u);
  BOOST_TEST(perf_hot.count("main") == 1u);
  BOOST_TEST(inclusive(perf, "profile_cold") > 0u);
  // The perf sampler never stops the target; what it costs is its measured per-sample work.
  BOOST_TEST(perf.at("pause_us_total").get<double>() == 0.0);
  BOOST_TEST(perf.at("pause_us_max").get<double>() == 0.0);
  BOOST_TEST(perf.at("stop_wait_us_total").get<double>() == 0.0);
  BOOST_TEST(perf.at("samples_reused") == 0u);
  BOOST_TEST(perf.at("overhead_per_sample_us").get<double>() > 0.0);
  BOOST_TEST(perf.at("overhead_pct").get<double>() > 0.0);
  BOOST_TEST(perf.at("overhead_pct").get<double>() < 2.0);
  BOOST_TEST(perf.at("samples_captured").get<uint64_t>() + perf.at("samples_failed").get<uint64_t>() ==
             perf.at("ticks").get<uint64_t>());
  // Each sample's CPU time is its period: together at most the thread's CPU time (it is one
  // busy thread, so at most the elapsed time).
  uint64_t cpu_ns = 0;
  for (const auto& c : perf.at("counts")) cpu_ns += c.at(3).get<uint64_t>();
  BOOST_TEST(cpu_ns > 0u);
  BOOST_TEST(static_cast<double>(cpu_ns) <= perf.at("elapsed_s").get<double>() * 1e9 * 1.05);
  // The ptrace sampler, asked for by name, pauses (that is its cost) and reuses nothing here.
  BOOST_TEST(ptrace.at("pause_us_total").get<double>() > 0.0);
  BOOST_TEST(ptrace.at("samples_lost") == 0u);
  BOOST_TEST(ptrace.at("overhead_per_sample_us").get<double>() == 0.0);
}

BOOST_AUTO_TEST_CASE(the_default_is_perf_where_permitted) {
  auto target = start_target("profile_hotcold", {"1", "0"});
  json p = profile_json(target.pid(), {"--hz", "99", "--duration", "0.5"});
  // This machine permits perf_event_open on our own targets (tests run as root or at
  // perf_event_paranoid <= 2); auto then picks perf and has nothing to explain.
  BOOST_TEST(p.at("sampler") == "perf");
  BOOST_TEST(p.at("sampler_reason") == "");
}

BOOST_AUTO_TEST_CASE(threads_started_during_the_profile_are_sampled) {
  // Two threads start 1.5 s after the target is ready, while the profile runs.
  auto target = start_target("profile_late_threads", {"1500", "2"});
  json p = profile_json(target.pid(), {"--sampler", "perf", "--hz", "99", "--duration", "3.5"});
  BOOST_TEST_MESSAGE("threads " << p["threads"].size() << " samples " << p["samples"]);
  // The profile saw the main thread before the others existed...
  BOOST_TEST(inclusive(p, "late_early_work") > 0u);
  // ...and then each new thread, with its own samples.
  std::set<int> late_tids;
  for (const auto& t : p.at("threads")) {
    const int tid = t.at("tid");
    if (tid != target.pid() && inclusive(p, "late_thread_work", tid) > 0) late_tids.insert(tid);
  }
  BOOST_TEST(late_tids.size() == 2u);
  BOOST_TEST(p.at("threads").size() >= 3u);
  for (const auto& t : p.at("threads"))
    if (late_tids.count(t.at("tid").get<int>())) BOOST_TEST(t.at("samples").get<uint64_t>() > 0u);
}

BOOST_AUTO_TEST_CASE(a_target_that_exits_ends_the_perf_profile_with_what_was_sampled) {
  auto target = start_target("profile_hotcold", {"1", "0", "1.5"});
  json p = profile_json(target.pid(), {"--sampler", "perf", "--hz", "99", "--duration", "30"});
  BOOST_TEST(p.at("sampler") == "perf");
  BOOST_TEST(p.at("stop_reason") == "process_exited");
  BOOST_TEST(p.at("samples").get<uint64_t>() > 0u);
  BOOST_TEST(inclusive(p, "profile_hot") > 0u);
  BOOST_TEST(p.at("elapsed_s").get<double>() < 30.0);
}

BOOST_AUTO_TEST_CASE(the_budget_lowers_the_perf_rate) {
  auto target = start_target("profile_hotcold", {"1", "0"});
  json p = profile_json(target.pid(), {"--sampler", "perf", "--hz", "999", "--duration", "1", "--max-overhead-pct", "0.1"});
  BOOST_TEST_MESSAGE("hz_effective " << p["hz_effective"] << " overhead_pct " << p["overhead_pct"] << " per sample "
                                     << p["overhead_per_sample_us"] << " us");
  // 999 samples per CPU second at this cost exceed 0.1 % of it by far.
  BOOST_REQUIRE(p.at("overhead_per_sample_us").get<double>() * 999 / 1e6 * 100 > 0.1);
  BOOST_TEST(p.at("rate_limited") == true);
  BOOST_TEST(p.at("hz_effective").get<double>() < 999.0);
  BOOST_TEST(p.at("overhead_pct").get<double>() < 0.1 * 1.5);
  BOOST_TEST(p.at("samples").get<uint64_t>() > 0u);
}

BOOST_AUTO_TEST_CASE(perf_asked_for_on_a_missing_process_is_process_gone) {
  auto r = run_command({bin_path("dbg-worker"), "profile", "999999999", "--sampler", "perf", "--duration", "1"});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("process_gone") != std::string::npos, r.err);
}
