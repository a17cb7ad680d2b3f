#define BOOST_TEST_MODULE coordinator_ranking
#include <boost/test/unit_test.hpp>
// Unit test of the ranking with synthetic samples and explicit time points: no /proc, no sleeps.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <thread>

#include "coordinator/ranking/ranker.hpp"

using namespace dbg::coord::ranking;
using dbg::coord::procfs::ProcessSample;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr uint64_t kMiB = 1024 * 1024;

ProcessSample idle(int pid, std::string comm = "idle") {
  ProcessSample s;
  s.pid = pid;
  s.ppid = 1;
  s.uid = 1000;
  s.comm = std::move(comm);
  s.cmdline = "/usr/bin/" + s.comm;
  s.state = 'S';
  s.start_time_ticks = 1000 + static_cast<uint64_t>(pid);
  s.rss_bytes = 8 * kMiB;
  s.threads = 1;
  return s;
}

const ScoreTerm* term(const RankedProcess& r, const std::string& name) {
  auto it = std::find_if(r.terms.begin(), r.terms.end(), [&](const ScoreTerm& t) { return t.name == name; });
  return it == r.terms.end() ? nullptr : &*it;
}

const RankedProcess& by_pid(const std::vector<RankedProcess>& ranked, int pid) {
  auto it = std::find_if(ranked.begin(), ranked.end(), [&](const RankedProcess& r) { return r.process.pid == pid; });
  BOOST_REQUIRE(it != ranked.end());
  return *it;
}

std::vector<RankRule> rules(const nlohmann::json& j) {
  auto parsed = parse_rules(j);
  BOOST_REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? "" : parsed.error().message));
  return parsed.value();
}

double ticks_per_second() { return static_cast<double>(::sysconf(_SC_CLK_TCK)); }

}  // namespace

BOOST_AUTO_TEST_CASE(d_state_outranks_idle) {
  Ranker ranker;
  auto hung = idle(20, "hung");
  hung.state = 'D';
  auto ranked = ranker.rank({idle(10), hung}, Clock::now());
  BOOST_TEST_REQUIRE(ranked.size() == 2u);
  BOOST_TEST(ranked[0].process.pid == 20);
  BOOST_TEST(ranked[0].score == 40.0);
  BOOST_TEST_REQUIRE(term(ranked[0], "state") != nullptr);
  BOOST_TEST(term(ranked[0], "state")->points == 40.0);
  BOOST_TEST(term(ranked[0], "state")->detail.find("uninterruptible") != std::string::npos);
  BOOST_TEST(ranked[1].score == 0.0);
  BOOST_TEST(ranked[1].terms.empty());  // only nonzero terms appear
}

BOOST_AUTO_TEST_CASE(state_points_table) {
  Ranker ranker;
  std::vector<ProcessSample> samples;
  const std::string states = "DRTtZSI";
  for (size_t i = 0; i < states.size(); ++i) {
    auto s = idle(static_cast<int>(100 + i));
    s.state = states[i];
    samples.push_back(s);
  }
  auto ranked = ranker.rank(samples, Clock::now());
  BOOST_TEST(by_pid(ranked, 100).score == 40.0);  // D
  BOOST_TEST(by_pid(ranked, 101).score == 15.0);  // R
  BOOST_TEST(by_pid(ranked, 102).score == 25.0);  // T
  BOOST_TEST(by_pid(ranked, 103).score == 25.0);  // t
  BOOST_TEST(by_pid(ranked, 104).score == 5.0);   // Z
  BOOST_TEST(by_pid(ranked, 105).score == 0.0);   // S
  BOOST_TEST(by_pid(ranked, 106).score == 0.0);   // I
}

BOOST_AUTO_TEST_CASE(cpu_share_from_tick_deltas_over_elapsed_time) {
  Ranker ranker;
  const auto t0 = Clock::now();
  auto busy = idle(30, "busy");
  auto quiet = idle(31, "quiet");
  auto first = ranker.rank({busy, quiet}, t0);
  BOOST_TEST(by_pid(first, 30).cpu_share == 0.0);  // first sight: no rate yet
  BOOST_TEST(term(by_pid(first, 30), "cpu") == nullptr);

  // Over 2 s: 1.5 s of CPU split between user and system time -> 0.75 of one CPU.
  const auto ticks = static_cast<uint64_t>(ticks_per_second());
  busy.utime_ticks += ticks;
  busy.stime_ticks += ticks / 2;
  auto second = ranker.rank({busy, quiet}, t0 + 2s);
  const auto& b = by_pid(second, 30);
  BOOST_TEST(std::abs(b.cpu_share - 0.75) < 0.01);
  BOOST_TEST_REQUIRE(term(b, "cpu") != nullptr);
  BOOST_TEST(std::abs(term(b, "cpu")->points - 37.5) < 0.5);
  BOOST_TEST(second[0].process.pid == 30);
  BOOST_TEST(by_pid(second, 31).cpu_share == 0.0);

  // The next window is measured against the second sample, not the first.
  auto third = ranker.rank({busy, quiet}, t0 + 3s);
  BOOST_TEST(by_pid(third, 30).cpu_share == 0.0);
}

BOOST_AUTO_TEST_CASE(cpu_points_capped_and_share_clamped_to_threads) {
  Ranker ranker;
  const auto t0 = Clock::now();
  auto p = idle(40);
  p.threads = 8;
  ranker.rank({p}, t0);
  p.utime_ticks += static_cast<uint64_t>(ticks_per_second()) * 3;  // 3 CPUs for 1 s
  auto r = ranker.rank({p}, t0 + 1s);
  BOOST_TEST(std::abs(r[0].cpu_share - 3.0) < 0.01);
  BOOST_TEST(term(r[0], "cpu")->points == 100.0);  // capped

  auto single = idle(41);
  ranker.rank({single}, t0);
  single.utime_ticks += static_cast<uint64_t>(ticks_per_second()) * 5;  // impossible for 1 thread
  r = ranker.rank({single}, t0 + 1s);
  BOOST_TEST(r[0].cpu_share == 1.0);
}

BOOST_AUTO_TEST_CASE(a_reused_pid_starts_a_new_history) {
  Ranker ranker;
  const auto t0 = Clock::now();
  auto old_process = idle(50);
  old_process.utime_ticks = 1000000;
  ranker.rank({old_process}, t0);
  auto new_process = idle(50);
  new_process.start_time_ticks += 5000;
  new_process.utime_ticks = 10;
  auto r = ranker.rank({new_process}, t0 + 1s);
  BOOST_TEST(r[0].cpu_share == 0.0);
  BOOST_TEST(r[0].rss_growth_bytes_per_s == 0);
}

BOOST_AUTO_TEST_CASE(a_too_short_window_keeps_the_last_rates) {
  Ranker ranker;
  const auto t0 = Clock::now();
  auto p = idle(60);
  ranker.rank({p}, t0);
  p.utime_ticks += static_cast<uint64_t>(ticks_per_second());  // 1 CPU
  auto r = ranker.rank({p}, t0 + 1s);
  BOOST_TEST(std::abs(r[0].cpu_share - 1.0) < 0.01);
  // 10 ms later nothing moved: too short to measure, the last rate stands.
  r = ranker.rank({p}, t0 + 1s + 10ms);
  BOOST_TEST(std::abs(r[0].cpu_share - 1.0) < 0.01);
  // And the baseline stayed at t0 + 1 s: 0.5 s of CPU over the next second reads 0.5.
  p.utime_ticks += static_cast<uint64_t>(ticks_per_second()) / 2;
  r = ranker.rank({p}, t0 + 2s);
  BOOST_TEST(std::abs(r[0].cpu_share - 0.5) < 0.02);
}

BOOST_AUTO_TEST_CASE(processes_absent_from_a_call_keep_their_baseline) {
  Ranker ranker;
  const auto t0 = Clock::now();
  auto a = idle(70);
  auto b = idle(71);
  ranker.rank({a, b}, t0);
  ranker.rank({a}, t0 + 1s);  // b not asked about
  b.utime_ticks += static_cast<uint64_t>(ticks_per_second());
  auto r = ranker.rank({a, b}, t0 + 2s);
  BOOST_TEST(std::abs(by_pid(r, 71).cpu_share - 0.5) < 0.01);  // 1 s of CPU over 2 s
}

BOOST_AUTO_TEST_CASE(rss_size_and_growth_terms) {
  Ranker ranker;
  const auto t0 = Clock::now();
  auto big = idle(80);
  big.rss_bytes = 256 * kMiB;  // two doublings above 64 MiB -> 10 points
  auto grower = idle(81);
  grower.rss_bytes = 16 * kMiB;
  ranker.rank({big, grower}, t0);
  grower.rss_bytes += 8 * kMiB;  // +8 MiB over 2 s = 4 MiB/s: two doublings above 1 MiB/s -> 20
  auto r = ranker.rank({big, grower}, t0 + 2s);

  const auto& g = by_pid(r, 81);
  BOOST_TEST(g.rss_growth_bytes_per_s == static_cast<int64_t>(4 * kMiB));
  BOOST_TEST_REQUIRE(term(g, "rss_growth") != nullptr);
  BOOST_TEST(term(g, "rss_growth")->points == 20.0);
  BOOST_TEST(term(g, "rss") == nullptr);  // 24 MiB is below the floor

  const auto& bg = by_pid(r, 80);
  BOOST_TEST_REQUIRE(term(bg, "rss") != nullptr);
  BOOST_TEST(term(bg, "rss")->points == 10.0);
  BOOST_TEST(term(bg, "rss")->detail == "256.0 MiB resident");
  BOOST_TEST(term(bg, "rss_growth") == nullptr);
  BOOST_TEST(bg.rss_growth_bytes_per_s == 0);

  // Shrinking is a negative rate and earns nothing.
  grower.rss_bytes -= 20 * kMiB;
  r = ranker.rank({big, grower}, t0 + 3s);
  BOOST_TEST(by_pid(r, 81).rss_growth_bytes_per_s < 0);
  BOOST_TEST(term(by_pid(r, 81), "rss_growth") == nullptr);

  // Caps: 1 TiB resident, 1 GiB/s growth.
  auto huge = idle(82);
  huge.rss_bytes = 1ull << 40;
  ranker.rank({huge}, t0);
  huge.rss_bytes += 1ull << 30;
  r = ranker.rank({huge}, t0 + 1s);
  BOOST_TEST(term(r[0], "rss")->points == 30.0);
  BOOST_TEST(term(r[0], "rss_growth")->points == 30.0);
}

BOOST_AUTO_TEST_CASE(threads_term) {
  Ranker ranker;
  auto few = idle(90);
  few.threads = 4;
  auto many = idle(91);
  many.threads = 64;  // four doublings above 4 -> 8 points
  auto lots = idle(92);
  lots.threads = 100000;
  auto r = ranker.rank({few, many, lots}, Clock::now());
  BOOST_TEST(term(by_pid(r, 90), "threads") == nullptr);
  BOOST_TEST(term(by_pid(r, 91), "threads")->points == 8.0);
  BOOST_TEST(term(by_pid(r, 91), "threads")->detail == "64 threads");
  BOOST_TEST(term(by_pid(r, 92), "threads")->points == 20.0);
}

BOOST_AUTO_TEST_CASE(rule_weights_add_and_subtract) {
  Ranker ranker(rules(nlohmann::json::array({
      {{"name", "db"}, {"match", "^postgres"}, {"weight", 30}},
      {{"name", "noise"}, {"match", "--batch"}, {"weight", -10}},
  })));
  auto db = idle(200, "postgres");
  auto batch = idle(201, "job");
  batch.cmdline = "/usr/bin/job --batch";
  batch.state = 'R';  // 15 - 10 = 5
  auto plain = idle(202, "other");
  auto r = ranker.rank({plain, batch, db}, Clock::now());
  BOOST_TEST(r[0].process.pid == 200);
  BOOST_TEST(r[0].score == 30.0);
  BOOST_TEST_REQUIRE(term(r[0], "rule:db") != nullptr);
  BOOST_TEST(term(r[0], "rule:db")->points == 30.0);
  BOOST_TEST(r[1].process.pid == 201);
  BOOST_TEST(r[1].score == 5.0);
  BOOST_TEST(term(r[1], "rule:noise")->points == -10.0);
  BOOST_TEST(r[2].process.pid == 202);
  BOOST_TEST(r[2].score == 0.0);
}

BOOST_AUTO_TEST_CASE(kernel_threads_score_zero_with_one_term) {
  Ranker ranker(rules(nlohmann::json::array({{{"name", "all"}, {"match", "."}, {"weight", 50}}})));
  auto k = idle(2, "kthreadd");
  k.cmdline = "";
  k.kernel_thread = true;
  k.state = 'D';
  auto r = ranker.rank({k}, Clock::now());
  BOOST_TEST(r[0].score == 0.0);
  BOOST_TEST_REQUIRE(r[0].terms.size() == 1u);
  BOOST_TEST(r[0].terms[0].name == "kernel_thread");
  BOOST_TEST(r[0].terms[0].points == 0.0);
  BOOST_TEST(r[0].terms[0].detail == "not traceable");
}

BOOST_AUTO_TEST_CASE(ties_are_ordered_by_pid) {
  Ranker ranker;
  std::vector<ProcessSample> samples;
  for (int pid : {9, 3, 7, 1, 5}) {
    auto s = idle(pid);
    s.state = pid % 2 ? 'R' : 'S';
    samples.push_back(s);
  }
  auto d = idle(4);
  d.state = 'D';
  samples.push_back(d);
  auto r = ranker.rank(samples, Clock::now());
  std::vector<int> order;
  for (const auto& p : r) order.push_back(p.process.pid);
  BOOST_TEST(order == (std::vector<int>{4, 1, 3, 5, 7, 9}), boost::test_tools::per_element());
  // The same input in another order gives the same ranking.
  std::reverse(samples.begin(), samples.end());
  Ranker other;
  auto r2 = other.rank(samples, Clock::now());
  for (size_t i = 0; i < r.size(); ++i) BOOST_TEST(r2[i].process.pid == r[i].process.pid);
}

BOOST_AUTO_TEST_CASE(concurrent_rank_calls_are_safe) {
  Ranker ranker(rules(nlohmann::json::array({{{"name", "odd"}, {"match", "[13579]$"}, {"weight", 1}}})));
  const auto t0 = Clock::now();
  std::vector<ProcessSample> samples;
  for (int pid = 1; pid <= 200; ++pid) samples.push_back(idle(pid, "p" + std::to_string(pid)));
  // Boost.Test assertions are not thread-safe: the threads only count, the main thread checks.
  std::vector<std::thread> threads;
  std::vector<int> wrong_sizes(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto mine = samples;
      for (int i = 1; i <= 50; ++i) {
        for (auto& s : mine) s.utime_ticks += static_cast<uint64_t>(t + 1);
        auto r = ranker.rank(mine, t0 + std::chrono::milliseconds(100 * i));
        if (r.size() != mine.size()) ++wrong_sizes[static_cast<size_t>(t)];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int w : wrong_sizes) BOOST_TEST(w == 0);
  auto r = ranker.rank(samples, t0 + 10s);
  BOOST_TEST(r.size() == 200u);
  BOOST_TEST(r[0].process.pid == 1);  // odd pids score 1, lowest pid first
}

BOOST_AUTO_TEST_CASE(to_json_shape) {
  Ranker ranker;
  auto p = idle(300, "na\xFFme");  // invalid UTF-8 must not make dump() throw
  p.state = 'D';
  auto r = ranker.rank({p}, Clock::now());
  nlohmann::json j = r[0];
  for (const char* key : {"pid", "ppid", "uid", "comm", "cmdline", "state", "threads", "rss_bytes", "cpu_share",
                          "rss_growth_bytes_per_s", "score", "terms"}) {
    BOOST_TEST(j.contains(key), key);
  }
  BOOST_TEST(j["pid"] == 300);
  BOOST_TEST(j["state"] == "D");
  BOOST_TEST(j["score"] == 40.0);
  BOOST_TEST_REQUIRE(j["terms"].size() == 1u);
  BOOST_TEST(j["terms"][0]["name"] == "state");
  BOOST_TEST(j["terms"][0]["points"] == 40.0);
  BOOST_TEST(j["terms"][0].contains("detail"));
  BOOST_CHECK_NO_THROW(j.dump());
}

BOOST_AUTO_TEST_CASE(parse_rules_accepts_objects_strings_and_json_text) {
  auto objects = parse_rules(nlohmann::json::parse(R"([{"name":"db","match":"postgres|mysql","weight":12.5}])"));
  BOOST_TEST_REQUIRE(objects.ok());
  BOOST_TEST(objects->size() == 1u);
  BOOST_TEST((*objects)[0].name == "db");
  BOOST_TEST((*objects)[0].weight == 12.5);

  auto strings = parse_rules(nlohmann::json::array({"eq=a=b=-3", "x=^y$=4"}));
  BOOST_TEST_REQUIRE(strings.ok());
  BOOST_TEST((*strings)[0].name == "eq");
  BOOST_TEST(std::regex_search("a=b", (*strings)[0].pattern));  // the regex kept its '='
  BOOST_TEST((*strings)[0].weight == -3.0);

  auto text = parse_rules(nlohmann::json(R"([{"name":"db","match":"pg","weight":1}])"));
  BOOST_TEST_REQUIRE(text.ok());
  BOOST_TEST(text->size() == 1u);

  auto none = parse_rules(nullptr);
  BOOST_TEST_REQUIRE(none.ok());
  BOOST_TEST(none->empty());
}

BOOST_AUTO_TEST_CASE(parse_rules_errors) {
  auto expect_error = [](const nlohmann::json& j, const std::string& needle) {
    auto r = parse_rules(j);
    BOOST_TEST_REQUIRE(!r.ok(), j.dump());
    BOOST_TEST(r.error().code == "invalid_rules");
    BOOST_TEST(r.error().message.find(needle) != std::string::npos, r.error().message + " lacks " + needle);
  };
  using J = nlohmann::json;
  expect_error(J::parse(R"([{"name":"bad","match":"(unclosed","weight":1}])"), "invalid regex");
  expect_error(J::parse(R"([{"name":"bad","match":"[a-","weight":1}])"), "bad");
  expect_error(J::parse(R"([{"name":"w","match":"x","weight":"high"}])"), "weight");
  expect_error(J::parse(R"([{"name":"w","match":"x","weight":1e9}])"), "weight");
  expect_error(J::parse(R"([{"name":"w","match":"x"}])"), "weight");
  expect_error(J::parse(R"([{"match":"x","weight":1}])"), "name");
  expect_error(J::parse(R"([{"name":"e","match":"","weight":1}])"), "empty");
  expect_error(J::parse(R"([{"name":"d","match":"x","weight":1},{"name":"d","match":"y","weight":2}])"), "duplicate");
  expect_error(J::array({"no-weight=x"}), "NAME=REGEX=WEIGHT");
  expect_error(J::array({"n=x=abc"}), "not a number");
  expect_error(J::array({42}), "rule 0");
  expect_error(J::object({{"name", "x"}}), "array");
  expect_error(J("not json"), "array");
}
