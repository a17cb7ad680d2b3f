#include "coordinator/watch/crash_event.hpp"

#include "dbg/utf8.hpp"

namespace dbg::coord::watch {

namespace {
// Never inside a UTF-8 sequence: the message is stored and published as JSON text.
std::string cut(std::string s) {
  dbg::utf8_cut_bytes(s, errors::kMaxMessageChars);
  return s;
}
}  // namespace

errors::ErrorEvent crash_to_event(const nlohmann::json& line, const std::string& watch_id) {
  const auto& ctx = line.at("context");
  errors::ErrorEvent e;
  e.source = "watch";
  e.kind = "crash";
  e.type = ctx.value("type", std::string("crash"));
  e.message = cut(ctx.value("message", std::string()));
  e.pid = line.at("pid").get<int>();
  e.comm = ctx.value("comm", std::string());
  e.timestamp_ms = ctx.value("timestamp_ms", int64_t{0});
  e.context = ctx;
  for (const char* k : {"type", "message", "comm", "timestamp_ms", "pid"}) e.context.erase(k);
  // The crashing thread's frames travel as the event's frames, not twice.
  if (e.context.contains("threads") && e.context["threads"].is_array() && !e.context["threads"].empty()) {
    auto& first = e.context["threads"][0];
    if (first.value("crashing", false) && first.contains("frames")) {
      e.frames = first["frames"].get<std::vector<Frame>>();
      first.erase("frames");
    }
  }
  e.context["watch_id"] = watch_id;
  return e;
}

errors::ErrorEvent exit_to_event(const nlohmann::json& line, const std::string& watch_id) {
  errors::ErrorEvent e;
  e.source = "watch";
  e.kind = "exit";
  int status = line.at("status").get<int>();
  e.type = "exit/" + std::to_string(status);
  e.message = "exited with status " + std::to_string(status);
  e.pid = line.at("pid").get<int>();
  e.comm = line.value("comm", std::string());
  e.timestamp_ms = line.value("timestamp_ms", int64_t{0});
  e.context = {{"status", status}, {"watch_id", watch_id}};
  return e;
}

}  // namespace dbg::coord::watch
