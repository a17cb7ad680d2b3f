#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // libstdc++ <regex> under -fsanitize (process_match.hpp)
#endif
#include "coordinator/watch/watch_request.hpp"

#include "coordinator/procfs/process_match.hpp"
#include "dbg/protocol.hpp"

namespace dbg::coord::watch {

namespace {

Error bad_request(std::string message) { return Error{"bad_request", std::move(message)}; }

Result<void> check_option(const std::string& key, const nlohmann::json& value) {
  struct Range {
    const char* name;
    int64_t lo, hi;
  };
  static const Range kRanges[] = {{"max_depth", 1, 1024}, {"max_variables", 0, 100}, {"max_threads", 1, 100000}};
  for (const auto& r : kRanges) {
    if (key != r.name) continue;
    if (!value.is_number_integer() || value.get<int64_t>() < r.lo || value.get<int64_t>() > r.hi)
      return bad_request("options." + key + " must be an integer in " + std::to_string(r.lo) + ".." + std::to_string(r.hi));
    return {};
  }
  return bad_request("unknown option \"" + key + "\" (max_depth, max_variables, max_threads)");
}

}  // namespace

Result<WatchRequest> parse_watch_request(std::string_view body) {
  auto parsed = protocol::parse_bounded_json(body);
  if (!parsed) return bad_request("the body is not valid JSON: " + parsed.error().message);
  const auto& j = parsed.value();
  if (!j.is_object()) return bad_request("the body must be a JSON object");
  WatchRequest req;
  for (const auto& [key, value] : j.items()) {
    if (key == "pid") {
      if (!value.is_number_integer() || value.get<int64_t>() <= 0 || value.get<int64_t>() > INT32_MAX)
        return bad_request("pid must be a positive integer");
      req.pid = value.get<int>();
    } else if (key == "match") {
      if (!value.is_string()) return bad_request("match must be a string (a regex over comm and cmdline)");
      auto compiled = procfs::compile_pattern(value.get<std::string>());
      if (!compiled) return Error{"bad_request", compiled.error().message};
      req.match = value.get<std::string>();
    } else if (key == "mode") {
      if (!value.is_string() || (value != "ptrace" && value != "core"))
        return bad_request("mode must be \"ptrace\" or \"core\"");
      req.mode = value.get<std::string>();
    } else if (key == "all") {
      if (!value.is_boolean()) return bad_request("all must be a boolean");
      req.all = value.get<bool>();
    } else if (key == "options") {
      if (!value.is_object()) return bad_request("options must be an object");
      for (const auto& [k, v] : value.items()) {
        if (auto ok = check_option(k, v); !ok) return ok.error();
      }
      req.options = value;
    } else {
      return bad_request("unknown field \"" + key + "\" (pid, match, mode, all, options)");
    }
  }
  if (req.mode == "core") {
    if (req.pid) return bad_request("a core-mode watch selects processes by match or all, not by pid (use mode ptrace for a pid)");
    if (req.all == req.match.has_value()) return bad_request("a core-mode watch needs exactly one of match and \"all\": true");
    return req;
  }
  if (req.all) return bad_request("\"all\" is for core mode only (mode \"core\")");
  if (req.pid.has_value() == req.match.has_value()) return bad_request("give exactly one of pid and match");
  return req;
}

}  // namespace dbg::coord::watch
