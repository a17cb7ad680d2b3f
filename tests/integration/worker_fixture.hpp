#pragma once
// Shared pieces of the worker tests: run dbg-worker on a live target, pick frames apart.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace dbg::test {

// Starts a target from tests/targets and waits for its "ready" line.
inline ChildProcess start_target(const std::string& name, const std::vector<std::string>& args = {},
                                 const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv{target_path(name)};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess child(argv, env);
  BOOST_REQUIRE_MESSAGE(child.wait_for_line("ready", std::chrono::seconds(10)), name << " did not get ready");
  return child;
}

// `dbg-worker snapshot PID ARGS...` as parsed JSON; fails the test when the worker fails.
inline nlohmann::json snapshot_json(pid_t pid, const std::vector<std::string>& args = {}) {
  std::vector<std::string> argv{bin_path("dbg-worker"), "snapshot", std::to_string(pid)};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_command(argv);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "dbg-worker failed (" << r.exit_code << "): " << r.err);
  return nlohmann::json::parse(r.out);
}

// The names of a thread's real (non-inlined) frames, "??" where there is no symbol, with
// symbol-version suffixes ("@@GLIBC_2.34") removed.
inline std::vector<std::string> real_function_names(const nlohmann::json& thread) {
  std::vector<std::string> names;
  for (const auto& f : thread.at("frames")) {
    if (f.at("inlined").get<bool>()) continue;
    std::string name = f.at("function").is_null() ? "??" : f.at("function").get<std::string>();
    if (auto at = name.find('@'); at != std::string::npos) name.erase(at);
    names.push_back(name);
  }
  return names;
}

// All function names of a thread (inlined included), in order.
inline std::vector<std::string> all_function_names(const nlohmann::json& thread) {
  std::vector<std::string> names;
  for (const auto& f : thread.at("frames")) names.push_back(f.at("function").is_null() ? "??" : f.at("function").get<std::string>());
  return names;
}

// Index of the first name containing `needle`, or -1.
inline int find_frame(const std::vector<std::string>& names, const std::string& needle, size_t from = 0) {
  for (size_t i = from; i < names.size(); ++i) {
    if (names[i].find(needle) != std::string::npos) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace dbg::test
