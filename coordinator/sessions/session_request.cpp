#include "coordinator/sessions/session_request.hpp"

#include <set>

#include "coordinator/procfs/process_match.hpp"

namespace dbg::coord::sessions {

namespace {

Error bad(std::string message) { return Error{"bad_request", std::move(message)}; }

Result<void> parse_targets(const nlohmann::json& t, SessionRequest& out) {
  if (!t.is_object()) return bad("\"targets\" must be an object: {\"pids\":[…]}, {\"match\":\"…\"} or {\"all\":true}");
  if (t.size() != 1) return bad("\"targets\" takes exactly one of \"pids\", \"match\", \"all\"");
  auto only = t.begin();
  const std::string key = only.key();
  const nlohmann::json& value = only.value();
  if (key == "pids") {
    if (!value.is_array() || value.empty()) return bad("\"targets.pids\" must be a non-empty array of pids");
    if (value.size() > kMaxPidsPerSession) return bad("at most " + std::to_string(kMaxPidsPerSession) + " pids per session");
    std::set<int> seen;
    for (const auto& p : value) {
      if (!p.is_number_integer() || p.get<int64_t>() <= 0 || p.get<int64_t>() > INT32_MAX)
        return bad("\"targets.pids\" must hold positive integers, got " + p.dump());
      if (seen.insert(p.get<int>()).second) out.pids.push_back(p.get<int>());
    }
  } else if (key == "match") {
    if (!value.is_string() || value.get_ref<const std::string&>().empty())
      return bad("\"targets.match\" must be a non-empty string (a regular expression)");
    const auto& text = value.get_ref<const std::string&>();
    if (text.size() > kMaxMatchLength) return bad("\"targets.match\" longer than " + std::to_string(kMaxMatchLength));
    auto compiled = procfs::compile_pattern(text);
    if (!compiled) return bad("invalid regular expression in \"targets.match\": " + compiled.error().message);
    out.match_regex = std::move(compiled.value());
    out.match = text;
  } else if (key == "all") {
    if (!value.is_boolean() || !value.get<bool>()) return bad("\"targets.all\" must be true");
    out.all = true;
  } else {
    return bad("unknown target selector \"" + key + "\" (use pids, match or all)");
  }
  out.targets_spec = t;
  return {};
}

}  // namespace

Result<SessionRequest> parse_session_request(const std::string& body) {
  auto parsed = protocol::parse_bounded_json(body);
  if (!parsed) return bad(parsed.error().message);
  const auto& j = parsed.value();
  if (!j.is_object()) return bad("the body must be a JSON object");
  SessionRequest out;
  bool have_targets = false;
  for (const auto& [key, value] : j.items()) {
    if (key == "kind") {
      if (!value.is_string()) return bad("\"kind\" must be a string");
      out.kind = value.get<std::string>();
    } else if (key == "targets") {
      if (auto r = parse_targets(value, out); !r) return r.error();
      have_targets = true;
    } else if (key == "options") {
      if (!value.is_object()) return bad("\"options\" must be an object");
      out.options = value;
    } else {
      return bad("unknown field \"" + key + "\"");
    }
  }
  if (!have_targets) return bad("\"targets\" is required");
  if (out.kind != "snapshot" && out.kind != "profile") return bad("unknown kind \"" + out.kind + "\" (snapshot or profile)");
  // Options are read once the kind is known: each kind has its own set.
  nlohmann::json job_options = out.options;
  if (auto d = job_options.find("deadline_ms"); d != job_options.end()) {
    if (!d->is_number_integer() || d->get<int64_t>() < 100 || d->get<int64_t>() > 600'000)
      return bad("\"options.deadline_ms\" must be an integer in 100..600000");
    out.deadline_ms = d->get<int64_t>();
    job_options.erase("deadline_ms");
  }
  if (out.kind == "profile" && job_options.contains("detect"))
    return bad("options: \"detect\" works on snapshot sessions, not profiles");
  if (out.kind == "snapshot") {
    auto detect = detect::take_detect_options(job_options);
    if (!detect) return detect.error();
    out.detect = detect.value();
  }
  if (out.kind == "profile") {
    // The sample budget is the coordinator's to share out (--profile-memory-mb), not a client's.
    if (job_options.contains("max_bytes")) return bad("options: max_bytes is set by the coordinator (--profile-memory-mb)");
    auto o = parse_profile_options(job_options);
    if (!o) return bad("options: " + o.error().message);
    out.profile_options = o.value();
  } else {
    auto o = protocol::parse_snapshot_options(job_options);
    if (!o) return bad("options: " + o.error().message);
    out.snapshot_options = o.value();
    if (out.detect) out.snapshot_options.consistency = protocol::Consistency::kProcess;
  }
  return out;
}

}  // namespace dbg::coord::sessions
