#pragma once
// Reading profiles in the worker tests: run `dbg-worker profile`, and count samples by function.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace dbg::test {

inline nlohmann::json profile_json(pid_t pid, const std::vector<std::string>& args) {
  std::vector<std::string> argv{bin_path("dbg-worker"), "profile", std::to_string(pid)};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_command(argv);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "dbg-worker profile failed (" << r.exit_code << "): " << r.err);
  return nlohmann::json::parse(r.out);
}

// Function names of a stack (all frames, inlined included), from the profile's tables.
inline std::set<std::string> stack_functions(const nlohmann::json& p, size_t stack) {
  std::set<std::string> names;
  for (const auto& loc : p.at("stacks").at(stack)) {
    for (const auto& f : p.at("locations").at(loc.get<size_t>()).at("frames")) {
      const auto& frame = p.at("frames").at(f.get<size_t>());
      if (!frame.at("function").is_null()) names.insert(frame.at("function").get<std::string>());
    }
  }
  return names;
}

// Samples whose stack holds `function`, optionally of one thread (by tid).
inline uint64_t inclusive(const nlohmann::json& p, const std::string& function, std::optional<int> tid = std::nullopt) {
  uint64_t n = 0;
  for (const auto& c : p.at("counts")) {
    if (tid && p.at("threads").at(c.at(0).get<size_t>()).at("tid").get<int>() != *tid) continue;
    if (stack_functions(p, c.at(1).get<size_t>()).count(function)) n += c.at(2).get<uint64_t>();
  }
  return n;
}

inline uint64_t total_samples(const nlohmann::json& p) {
  uint64_t n = 0;
  for (const auto& c : p.at("counts")) n += c.at(2).get<uint64_t>();
  return n;
}

}  // namespace dbg::test
