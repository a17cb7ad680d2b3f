#include "coordinator/detect/detect_options.hpp"

#include <string>

namespace dbg::coord::detect {

namespace {

Error bad(std::string message) { return Error{"bad_request", "options: " + std::move(message)}; }

Result<void> add_check(const nlohmann::json& name, DetectOptions& out) {
  if (name == "deadlock") {
    out.deadlock = true;
  } else if (name == "hang") {
    out.hang = true;
  } else {
    return bad("\"detect\" names the checks \"deadlock\" and \"hang\", got " + name.dump());
  }
  return {};
}

Result<int> int_in(const nlohmann::json& v, const char* key, int lo, int hi) {
  if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi)
    return bad(std::string("\"") + key + "\" must be an integer in " + std::to_string(lo) + ".." + std::to_string(hi));
  return v.get<int>();
}

}  // namespace

Result<std::optional<DetectOptions>> take_detect_options(nlohmann::json& options) {
  auto detect = options.find("detect");
  if (detect == options.end()) {
    for (const char* key : {"hang_snapshots", "hang_interval_ms"})
      if (options.contains(key)) return bad(std::string("\"") + key + "\" needs \"detect\":\"hang\"");
    return std::optional<DetectOptions>{};
  }
  DetectOptions out;
  if (detect->is_string()) {
    if (auto r = add_check(*detect, out); !r) return r.error();
  } else if (detect->is_array() && !detect->empty() && detect->size() <= 2) {
    for (const auto& name : *detect) {
      if (auto r = add_check(name, out); !r) return r.error();
    }
  } else {
    return bad("\"detect\" must be \"deadlock\", \"hang\" or [\"deadlock\",\"hang\"]");
  }
  if (auto it = options.find("hang_snapshots"); it != options.end()) {
    if (!out.hang) return bad("\"hang_snapshots\" needs \"detect\":\"hang\"");
    auto n = int_in(*it, "hang_snapshots", kMinHangSnapshots, kMaxHangSnapshots);
    if (!n) return n.error();
    out.hang_snapshots = n.value();
  }
  if (auto it = options.find("hang_interval_ms"); it != options.end()) {
    if (!out.hang) return bad("\"hang_interval_ms\" needs \"detect\":\"hang\"");
    auto n = int_in(*it, "hang_interval_ms", kMinHangIntervalMs, kMaxHangIntervalMs);
    if (!n) return n.error();
    out.hang_interval_ms = n.value();
  }
  if (auto c = options.find("consistency"); c != options.end() && *c == "thread")
    return bad("\"detect\" takes \"process\"-consistency snapshots; \"consistency\":\"thread\" contradicts it");
  for (const char* key : {"detect", "hang_snapshots", "hang_interval_ms"}) options.erase(key);
  return std::optional<DetectOptions>{out};
}

nlohmann::json worker_options(nlohmann::json options) {
  for (const char* key : {"detect", "hang_snapshots", "hang_interval_ms", "deadline_ms"}) options.erase(key);
  options["consistency"] = "process";
  return options;
}

}  // namespace dbg::coord::detect
