// Differential test: our function names per thread equal eu-stack's (elfutils, the oracle),
// modulo inlined frames (eu-stack shows none by default) and symbol-version suffixes.
#define BOOST_TEST_MODULE worker_differential
#include <boost/test/unit_test.hpp>

#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "worker_fixture.hpp"

using namespace dbg::test;

namespace {

// Parses `eu-stack -p PID` output: "TID 123:" then "#0  0x... name" (name may be absent).
std::map<int, std::vector<std::string>> parse_eu_stack(const std::string& text) {
  std::map<int, std::vector<std::string>> out;
  std::istringstream in(text);
  std::string line;
  int tid = -1;
  std::regex tid_re(R"(^TID (\d+):)"), frame_re(R"(^#\d+\s+0x[0-9a-f]+(?:\s+-\s+\d+)?\s*(.*)$)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, tid_re)) {
      tid = std::stoi(m[1]);
      out[tid];
    } else if (tid >= 0 && std::regex_match(line, m, frame_re)) {
      std::string name = m[1];
      if (name.empty()) name = "??";
      if (auto at = name.find('@'); at != std::string::npos) name.erase(at);
      out[tid].push_back(name);
    }
  }
  return out;
}

void compare_with_eu_stack(const std::string& target, const std::vector<std::string>& args) {
  auto child = start_target(target, args);
  // "ready" is printed once every thread has counted itself in, which is just before it calls
  // pause(): on a busy machine one may still be on its way (running). Two captures taken a
  // moment apart only agree once every thread sleeps where it will stay.
  auto all_sleeping = [&] {
    for (pid_t tid : thread_ids(child.pid()))
      if (thread_state(child.pid(), tid) != 'S') return false;
    return true;
  };
  for (int i = 0; i < 400 && !all_sleeping(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  BOOST_REQUIRE(all_sleeping());
  auto ours = snapshot_json(child.pid(), {"--source", "none"});
  auto eu = run_command({"eu-stack", "-p", std::to_string(child.pid())});
  BOOST_REQUIRE_MESSAGE(eu.exit_code == 0 || !eu.out.empty(), "eu-stack failed: " << eu.err);
  auto theirs = parse_eu_stack(eu.out);
  BOOST_REQUIRE_EQUAL(theirs.size(), ours.at("threads").size());
  for (const auto& t : ours.at("threads")) {
    int tid = t.at("tid");
    BOOST_TEST_CONTEXT(target << " thread " << tid) {
      BOOST_REQUIRE(theirs.count(tid) == 1);
      auto mine = real_function_names(t);
      BOOST_TEST(mine == theirs[tid], boost::test_tools::per_element());
      BOOST_TEST(mine.size() >= 5u);
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(c_target_matches_eu_stack) { compare_with_eu_stack("chain", {"4"}); }
BOOST_AUTO_TEST_CASE(cpp_target_matches_eu_stack) { compare_with_eu_stack("cpp_target", {"4"}); }
BOOST_AUTO_TEST_CASE(stripped_cpp_target_matches_eu_stack) { compare_with_eu_stack("cpp_target_stripped", {"3"}); }
