#include "coordinator/ranking/rank_rule.hpp"

#include <cmath>
#include <set>

#include "coordinator/procfs/process_match.hpp"

namespace dbg::coord::ranking {

namespace {

Error invalid(const std::string& message) { return Error{"invalid_rules", message}; }

std::string where(std::size_t index, const std::string& name) {
  std::string out = "rule " + std::to_string(index);
  if (!name.empty()) out += " (\"" + name + "\")";
  return out;
}

struct RawRule {
  std::string name;
  std::string match;
  nlohmann::json weight;
};

Result<RawRule> raw_from_string(std::size_t index, const std::string& text) {
  auto first = text.find('=');
  auto last = text.rfind('=');
  if (first == std::string::npos || first == last) {
    return invalid(where(index, "") + ": expected NAME=REGEX=WEIGHT, got \"" + text + "\"");
  }
  RawRule raw{text.substr(0, first), text.substr(first + 1, last - first - 1), nullptr};
  std::string weight = text.substr(last + 1);
  try {
    std::size_t used = 0;
    double w = std::stod(weight, &used);
    if (used != weight.size()) throw std::invalid_argument("trailing characters");
    raw.weight = w;
  } catch (const std::exception&) {
    return invalid(where(index, raw.name) + ": weight \"" + weight + "\" is not a number");
  }
  return raw;
}

Result<RawRule> raw_from_object(std::size_t index, const nlohmann::json& object) {
  RawRule raw;
  auto name = object.find("name");
  if (name != object.end() && name->is_string()) raw.name = name->get<std::string>();
  auto match = object.find("match");
  if (match == object.end() || !match->is_string()) {
    return invalid(where(index, raw.name) + ": \"match\" must be a string (a regex)");
  }
  raw.match = match->get<std::string>();
  auto weight = object.find("weight");
  if (weight == object.end()) return invalid(where(index, raw.name) + ": \"weight\" is missing");
  raw.weight = *weight;
  return raw;
}

Result<RankRule> compile(std::size_t index, const RawRule& raw) {
  if (raw.name.empty()) return invalid(where(index, "") + ": \"name\" must be a non-empty string");
  if (!raw.weight.is_number()) return invalid(where(index, raw.name) + ": \"weight\" must be a number");
  double weight = raw.weight.get<double>();
  if (!std::isfinite(weight) || std::fabs(weight) > kMaxRuleWeight) {
    return invalid(where(index, raw.name) + ": weight must be between -" + std::to_string(int(kMaxRuleWeight)) +
                   " and " + std::to_string(int(kMaxRuleWeight)));
  }
  auto pattern = procfs::compile_pattern(raw.match);
  if (!pattern) return invalid(where(index, raw.name) + ": " + pattern.error().message);
  return RankRule{raw.name, std::move(*pattern), weight};
}

}  // namespace

Result<std::vector<RankRule>> parse_rules(const nlohmann::json& rules) {
  if (rules.is_null()) return std::vector<RankRule>{};
  if (rules.is_string()) {
    auto parsed = nlohmann::json::parse(rules.get<std::string>(), nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded() || parsed.is_string()) {
      return invalid("rules must be a JSON array of {\"name\", \"match\", \"weight\"} objects");
    }
    return parse_rules(parsed);
  }
  if (!rules.is_array()) return invalid("rules must be a JSON array of {\"name\", \"match\", \"weight\"} objects");
  if (rules.size() > kMaxRules) return invalid("at most " + std::to_string(kMaxRules) + " rules are allowed");

  std::vector<RankRule> out;
  std::set<std::string> names;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const auto& item = rules[i];
    Result<RawRule> raw = item.is_object()   ? raw_from_object(i, item)
                          : item.is_string() ? raw_from_string(i, item.get<std::string>())
                                             : Result<RawRule>(invalid(where(i, "") + ": must be an object or a "
                                                                                      "\"NAME=REGEX=WEIGHT\" string"));
    if (!raw) return raw.error();
    auto rule = compile(i, *raw);
    if (!rule) return rule.error();
    if (!names.insert(rule->name).second) return invalid(where(i, rule->name) + ": duplicate name");
    out.push_back(std::move(*rule));
  }
  return out;
}

}  // namespace dbg::coord::ranking
