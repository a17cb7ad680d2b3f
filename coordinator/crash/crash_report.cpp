#include "coordinator/crash/crash_report.hpp"

#include <algorithm>

#include "coordinator/watch/crash_event.hpp"
#include "dbg/protocol.hpp"

namespace dbg::coord::crash {

namespace {

Error bad(std::string why) { return Error{"bad_request", "crash report: " + std::move(why)}; }

// Used as a database key and in file names of logs: printable ASCII only.
bool plain_key(const std::string& s) {
  return !s.empty() && s.size() <= kMaxIngestKeyBytes &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f && c != '/'; });
}

}  // namespace

Result<CoreReport> parse_core_report(std::string_view text) {
  if (text.size() > kMaxReportBytes) return bad("over " + std::to_string(kMaxReportBytes) + " bytes");
  auto parsed = protocol::parse_bounded_json(text);
  if (!parsed) return bad("not JSON: " + parsed.error().message);
  const auto& j = parsed.value();
  if (!j.is_object()) return bad("not an object");
  if (!j.contains("v") || !j["v"].is_number_integer() || j["v"].get<int64_t>() != 1) return bad("\"v\" is not 1");
  if (j.value("type", nlohmann::json()) != "crash") return bad("\"type\" is not \"crash\"");
  CoreReport r;
  if (!j.contains("id") || !j["id"].is_string() || !plain_key(j["id"].get<std::string>()))
    return bad("\"id\" must be a non-empty printable string of at most " + std::to_string(kMaxIngestKeyBytes) + " bytes");
  r.id = j["id"].get<std::string>();
  if (!j.contains("pid") || !j["pid"].is_number_integer() || j["pid"].get<int64_t>() <= 0 ||
      j["pid"].get<int64_t>() > INT32_MAX)
    return bad("\"pid\" must be a positive integer");
  r.pid = j["pid"].get<int>();
  if (j.contains("watch_id") && !j["watch_id"].is_null()) {
    if (!j["watch_id"].is_string() || j["watch_id"].get<std::string>().size() > kMaxIngestKeyBytes)
      return bad("\"watch_id\" must be a short string");
    r.watch_id = j["watch_id"].get<std::string>();
  }
  if (!j.contains("context") || !j["context"].is_object()) return bad("\"context\" must be an object");
  const auto& ctx = j["context"];
  // The fields crash_to_event reads, typed as the watcher sends them: a wrong type is a
  // malformed report, not a default.
  for (const char* k : {"type", "message", "comm"}) {
    if (ctx.contains(k) && !ctx[k].is_string()) return bad(std::string("context.") + k + " must be a string");
  }
  if (ctx.contains("timestamp_ms") && !ctx["timestamp_ms"].is_number_integer())
    return bad("context.timestamp_ms must be an integer");
  if (ctx.contains("threads") && !ctx["threads"].is_array()) return bad("context.threads must be an array");
  try {
    nlohmann::json line = {{"type", "crash"}, {"pid", r.pid}, {"context", ctx}};
    r.event = watch::crash_to_event(line, r.watch_id);
  } catch (const std::exception& e) {
    return bad(std::string("context: ") + e.what());
  }
  auto& c = r.event.context;
  c["mode"] = "core";
  c["ingest_key"] = r.id;
  if (j.contains("handler") && j["handler"].is_object()) c["handler"] = j["handler"];
  if (j.contains("process") && j["process"].is_object()) c["process"] = j["process"];
  return r;
}

}  // namespace dbg::coord::crash
