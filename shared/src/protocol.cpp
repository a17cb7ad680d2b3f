#include "dbg/protocol.hpp"

#include <algorithm>

#include "dbg/snapshot.hpp"
#include "dbg/snapshot_wire.hpp"

namespace dbg::protocol {

namespace {

Error bad_request(std::string message) { return Error{"bad_request", std::move(message)}; }

nlohmann::json envelope(const std::string& id, const char* type) {
  nlohmann::json j = {{"v", kVersion}, {"type", type}};
  if (!id.empty()) j["id"] = id;
  return j;
}

}  // namespace

namespace {

// Deepest nesting of objects and arrays in `text`, stopping as soon as it exceeds `limit`.
// Brackets inside strings do not count. Malformed text is not judged here (the parser does);
// for well-formed JSON this is exactly the parser's nesting depth.
int nesting_depth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '{':
      case '[':
        deepest = std::max(deepest, ++depth);
        if (deepest > limit) return deepest;
        break;
      case '}':
      case ']': --depth; break;
      default: break;
    }
  }
  return deepest;
}

}  // namespace

Result<nlohmann::json> parse_bounded_json(std::string_view text, int max_depth) {
  // A linear pre-scan refuses hostile nesting before anything is built in memory; the plain
  // parser is then about twice as fast as one with a per-event callback, and every worker result
  // line goes through here.
  if (nesting_depth(text, max_depth) > max_depth)
    return bad_request("JSON nested deeper than " + std::to_string(max_depth) + " levels");
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad_request("malformed JSON");
  return j;
}

Result<RequestEnvelope> parse_envelope(std::string_view line) {
  if (line.size() > kMaxLineBytes) return bad_request("request line longer than " + std::to_string(kMaxLineBytes));
  auto parsed = parse_bounded_json(line);
  if (!parsed) return parsed.error();
  RequestEnvelope e;
  e.body = std::move(parsed.value());
  const auto& j = e.body;
  if (!j.is_object()) return bad_request("request must be a JSON object");
  auto v = j.find("v");
  if (v == j.end() || !v->is_number_integer() || v->get<int>() != kVersion)
    return bad_request("unsupported or missing protocol version (want \"v\":" + std::to_string(kVersion) + ")");
  auto id = j.find("id");
  if (id == j.end() || !id->is_string() || id->get_ref<const std::string&>().empty())
    return bad_request("\"id\" must be a non-empty string");
  e.id = *id;
  auto kind = j.find("kind");
  if (kind == j.end() || !kind->is_string()) return bad_request("\"kind\" must be a string");
  e.kind = *kind;
  return e;
}

Result<int> parse_pid_field(const nlohmann::json& body) {
  auto pid = body.find("pid");
  if (pid == body.end() || !pid->is_number_integer() || pid->get<int64_t>() <= 0 || pid->get<int64_t>() > INT32_MAX)
    return bad_request("\"pid\" must be a positive integer");
  return pid->get<int>();
}

Result<JobRequest> parse_request(std::string_view line) {
  auto envelope = parse_envelope(line);
  if (!envelope) return envelope.error();
  const auto& j = envelope->body;
  JobRequest req;
  req.id = envelope->id;
  req.kind = envelope->kind;
  if (req.kind == "ping") return req;
  if (req.kind == "cancel") {
    auto job = j.find("job");
    if (job == j.end() || !job->is_string() || job->get_ref<const std::string&>().empty())
      return bad_request("a cancel needs \"job\": the id of the job to stop");
    req.job = *job;
    return req;
  }
  if (req.kind != "snapshot" && req.kind != "profile") return bad_request("unknown kind \"" + req.kind + "\"");
  auto pid = parse_pid_field(j);
  if (!pid) return pid.error();
  req.pid = pid.value();
  if (auto opts = j.find("options"); opts != j.end()) {
    if (!opts->is_object()) return bad_request("\"options\" must be an object");
    req.options = *opts;
  }
  if (auto dl = j.find("deadline_ms"); dl != j.end()) {
    if (!dl->is_number_integer() || dl->get<int64_t>() < 0) return bad_request("\"deadline_ms\" must be >= 0");
    req.deadline_ms = *dl;
  }
  return req;
}

Result<SnapshotOptions> parse_snapshot_options(const nlohmann::json& options) {
  SnapshotOptions out;
  if (!options.is_object()) return bad_request("options must be an object");
  for (const auto& [key, value] : options.items()) {
    if (key == "max_depth") {
      if (!value.is_number_integer() || value.get<int64_t>() < 1 || value.get<int64_t>() > kMaxDepthLimit)
        return bad_request("max_depth must be an integer in 1.." + std::to_string(kMaxDepthLimit));
      out.max_depth = value.get<int>();
    } else if (key == "stack_bytes") {
      if (!value.is_number_integer() || value.get<int64_t>() < static_cast<int64_t>(kMinStackBytes) ||
          value.get<int64_t>() > static_cast<int64_t>(kMaxStackBytes))
        return bad_request("stack_bytes must be an integer in " + std::to_string(kMinStackBytes) + ".." +
                           std::to_string(kMaxStackBytes));
      out.stack_bytes = value.get<size_t>();
    } else if (key == "consistency") {
      if (value == "thread") {
        out.consistency = Consistency::kThread;
      } else if (value == "process") {
        out.consistency = Consistency::kProcess;
      } else {
        return bad_request("consistency must be \"thread\" or \"process\"");
      }
    } else if (key == "source") {
      if (value == "all") {
        out.source = SourceMode::kAll;
      } else if (value == "embedded") {
        out.source = SourceMode::kEmbedded;
      } else if (value == "none") {
        out.source = SourceMode::kNone;
      } else {
        return bad_request("source must be \"all\", \"embedded\" or \"none\"");
      }
    } else {
      return bad_request("unknown snapshot option \"" + key + "\"");
    }
  }
  return out;
}

std::string dump(const nlohmann::json& j) {
  // Thread names and paths come from targets and need not be UTF-8: replace, never throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

const char* to_string(Consistency c) { return c == Consistency::kProcess ? "process" : "thread"; }

const char* to_string(SourceMode m) {
  switch (m) {
    case SourceMode::kEmbedded: return "embedded";
    case SourceMode::kNone: return "none";
    case SourceMode::kAll: break;
  }
  return "all";
}

std::string hello_line(int worker_pid) {
  nlohmann::json j = envelope("", "hello");
  j["worker_pid"] = worker_pid;
  j["version"] = "0.1.0";
  return dump(j);
}

std::string result_line(const std::string& id, const nlohmann::json& result) {
  nlohmann::json j = envelope(id, "result");
  j["result"] = result;
  return dump(j);
}

std::string result_line_prefix(const std::string& id) {
  std::string out = "{\"v\":" + std::to_string(kVersion) + ",\"id\":";
  append_json_string(out, id);
  out += ",\"type\":\"result\",\"result\":";
  return out;
}

std::string snapshot_result_line(const std::string& id, const Snapshot& snapshot) {
  std::string out = result_line_prefix(id);
  out.reserve(4096);
  append_snapshot_json(out, snapshot);
  out += '}';
  return out;
}

std::string error_line(const std::string& id, const Error& error) {
  nlohmann::json j = envelope(id, "error");
  j["error"] = error;
  return dump(j);
}

std::string pong_line(const std::string& id) { return dump(envelope(id, "pong")); }

std::string progress_line(const std::string& id, const nlohmann::json& progress) {
  nlohmann::json j = envelope(id, "progress");
  j["progress"] = progress;
  return dump(j);
}

}  // namespace dbg::protocol
