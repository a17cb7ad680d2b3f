#include "worker/watch/watch_protocol.hpp"

#include "dbg/protocol.hpp"

namespace dbg::worker {

namespace {

Error bad_request(std::string message) { return Error{"bad_request", std::move(message)}; }

Result<int> bounded_int(const nlohmann::json& value, const char* name, int lo, int hi) {
  if (!value.is_number_integer() || value.get<int64_t>() < lo || value.get<int64_t>() > hi)
    return bad_request(std::string(name) + " must be an integer in " + std::to_string(lo) + ".." + std::to_string(hi));
  return value.get<int>();
}

}  // namespace

Result<WatchOptions> parse_watch_options(const nlohmann::json& options) {
  WatchOptions out;
  if (!options.is_object()) return bad_request("options must be an object");
  for (const auto& [key, value] : options.items()) {
    Result<int> v = 0;
    if (key == "max_depth") {
      v = bounded_int(value, "max_depth", 1, protocol::kMaxDepthLimit);
      if (v) out.max_depth = v.value();
    } else if (key == "max_variables") {
      v = bounded_int(value, "max_variables", 0, 100);
      if (v) out.max_variables = v.value();
    } else if (key == "max_threads") {
      v = bounded_int(value, "max_threads", 1, 100000);
      if (v) out.max_threads = v.value();
    } else {
      return bad_request("unknown watch option \"" + key + "\"");
    }
    if (!v) return v.error();
  }
  return out;
}

Result<WatchRequest> parse_watch_request(std::string_view line) {
  auto envelope = protocol::parse_envelope(line);
  if (!envelope) return envelope.error();
  const auto& j = envelope->body;
  WatchRequest req;
  req.id = envelope->id;
  req.kind = envelope->kind;
  if (req.kind == "ping") return req;
  if (req.kind != "watch_add" && req.kind != "watch_remove" && req.kind != "capture")
    return bad_request("unknown kind \"" + req.kind + "\"");
  auto pid = protocol::parse_pid_field(j);
  if (!pid) return pid.error();
  req.pid = pid.value();
  if (req.kind == "capture") {
    req.snapshot.consistency = protocol::Consistency::kProcess;
    auto opts = j.find("options");
    if (opts == j.end()) return req;
    // The watcher only captures all threads at one instant: it holds them all anyway, and the
    // checks that ask (deadlock, busy hang) need it.
    if (opts->is_object() && opts->contains("consistency") && (*opts)["consistency"] != "process")
      return bad_request("a watcher capture is always \"consistency\":\"process\"");
    auto o = protocol::parse_snapshot_options(*opts);
    if (!o) return o.error();
    req.snapshot = o.value();
    req.snapshot.consistency = protocol::Consistency::kProcess;
    return req;
  }
  if (auto opts = j.find("options"); opts != j.end()) {
    if (req.kind != "watch_add") return bad_request("only watch_add takes options");
    auto o = parse_watch_options(*opts);
    if (!o) return o.error();
    req.options = o.value();
  }
  return req;
}

std::string crash_line(int pid, const nlohmann::json& context) {
  return protocol::dump({{"v", protocol::kVersion}, {"type", "crash"}, {"pid", pid}, {"context", context}});
}

std::string exit_line(int pid, int status, const std::string& comm, int64_t timestamp_ms) {
  return protocol::dump({{"v", protocol::kVersion}, {"type", "exit"}, {"pid", pid}, {"status", status},
                         {"comm", comm}, {"timestamp_ms", timestamp_ms}});
}

std::string watch_ended_line(int pid, const std::string& reason, const nlohmann::json& details) {
  nlohmann::json j = {{"v", protocol::kVersion}, {"type", "watch_ended"}, {"pid", pid}, {"reason", reason}};
  if (details.is_object()) {
    for (const auto& [k, v] : details.items()) j[k] = v;
  }
  return protocol::dump(j);
}

std::string watch_pong_line(const std::string& id, size_t watched) {
  return protocol::dump({{"v", protocol::kVersion}, {"id", id}, {"type", "pong"}, {"watched", watched}});
}

}  // namespace dbg::worker
