#pragma once
// User rules: "processes whose comm or cmdline matches this regex matter more (or less)". They
// come from configuration, so every mistake is reported at load time with the rule it is in.
#include <nlohmann/json.hpp>

#include <regex>
#include <string>
#include <vector>

#include "dbg/error.hpp"

namespace dbg::coord::ranking {

// Matched (searched, ECMAScript syntax) against comm and against cmdline; a match on either adds
// `weight` points once.
struct RankRule {
  std::string name;
  std::regex pattern;
  double weight;
};

// Bounds that keep one rule set from drowning out the built-in terms or the CPU budget.
inline constexpr std::size_t kMaxRules = 100;
inline constexpr double kMaxRuleWeight = 1000;  // |weight| <= this

// Accepts:
//   [{"name": "db", "match": "^postgres", "weight": 20}, ...]   (preferred)
//   ["db=^postgres=20", ...]   NAME=REGEX=WEIGHT; NAME stops at the first '=', WEIGHT starts
//                              after the last one, so the regex may itself contain '='
//   a string holding either array as JSON text (a flag or environment variable); null = no rules.
// Error code "invalid_rules" on anything else: bad regex, non-finite or out-of-range weight,
// empty or duplicate name, too many rules. The message names the rule (index and name).
Result<std::vector<RankRule>> parse_rules(const nlohmann::json& rules);

}  // namespace dbg::coord::ranking
