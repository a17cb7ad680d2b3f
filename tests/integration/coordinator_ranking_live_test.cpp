#define BOOST_TEST_MODULE coordinator_ranking_live
#include <boost/test/unit_test.hpp>
// The ranker over the real /proc: a spinning child must rank above the idle chain target, with
// a CPU term that says why. No timing assertions: only the order and the presence of terms.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "coordinator/ranking/ranker.hpp"
#include "test_support.hpp"

using namespace dbg::coord::ranking;
using namespace std::chrono_literals;

namespace {

std::ptrdiff_t index_of(const std::vector<RankedProcess>& ranked, int pid) {
  auto it = std::find_if(ranked.begin(), ranked.end(), [&](const RankedProcess& r) { return r.process.pid == pid; });
  BOOST_REQUIRE_MESSAGE(it != ranked.end(), "pid " << pid << " not ranked");
  return it - ranked.begin();
}

const ScoreTerm* term(const RankedProcess& r, const std::string& name) {
  auto it = std::find_if(r.terms.begin(), r.terms.end(), [&](const ScoreTerm& t) { return t.name == name; });
  return it == r.terms.end() ? nullptr : &*it;
}

}  // namespace

BOOST_AUTO_TEST_CASE(spinning_child_ranks_above_idle_chain) {
  dbg::test::ChildProcess chain({dbg::test::target_path("chain"), "3"});
  BOOST_TEST_REQUIRE(chain.wait_for_line("ready", 10s));
  dbg::test::Spinner spinner;

  Ranker ranker;
  // First call: no history, so it samples twice, `interval` apart.
  auto ranked = ranker.sample_and_rank(500ms);
  auto spin = index_of(ranked, spinner.pid());
  auto idle = index_of(ranked, chain.pid());
  BOOST_TEST(spin < idle);
  const auto& s = ranked[static_cast<size_t>(spin)];
  BOOST_TEST(s.cpu_share > 0.0);
  BOOST_TEST_REQUIRE(term(s, "cpu") != nullptr);
  BOOST_TEST(term(s, "cpu")->points > 0.0);
  BOOST_TEST(term(ranked[static_cast<size_t>(idle)], "cpu") == nullptr);
  BOOST_TEST(ranked[static_cast<size_t>(idle)].process.threads == 3);

  // Scores are in order and every term is accounted for.
  for (size_t i = 1; i < ranked.size(); ++i) BOOST_TEST(ranked[i - 1].score >= ranked[i].score);
  for (const auto& r : ranked) {
    double sum = 0;
    for (const auto& t : r.terms) sum += t.points;
    BOOST_TEST(std::abs(sum - r.score) < 1e-6);
  }

  // Second call, within max_age: one read, measured against the first call's last sample.
  std::this_thread::sleep_for(300ms);
  ranked = ranker.sample_and_rank(500ms);
  spin = index_of(ranked, spinner.pid());
  BOOST_TEST(spin < index_of(ranked, chain.pid()));
  BOOST_TEST(ranked[static_cast<size_t>(spin)].cpu_share > 0.0);
}

BOOST_AUTO_TEST_CASE(kernel_threads_are_ranked_with_zero) {
  Ranker ranker;
  auto ranked = ranker.sample_and_rank(100ms);
  for (const auto& r : ranked) {
    if (!r.process.kernel_thread) continue;
    BOOST_TEST(r.score == 0.0);
    BOOST_TEST_REQUIRE(r.terms.size() == 1u);
    BOOST_TEST(r.terms[0].name == "kernel_thread");
  }
  nlohmann::json j = ranked;
  BOOST_CHECK_NO_THROW(j.dump());
}
