#include "coordinator/watch/watch.hpp"

#include <cstdio>
#include <random>

#include "coordinator/procfs/process_match.hpp"
#include "dbg/clock.hpp"

namespace dbg::coord::watch {

nlohmann::json Watch::to_json() const {
  nlohmann::json j = {{"id", id},       {"status", status},     {"options", options}, {"created_at_ms", created_at_ms},
                      {"pids", pids},   {"crashes", crashes},   {"exits", exits},     {"last_event", last_event}};
  j["mode"] = mode;
  if (pid) j["pid"] = *pid;
  if (match) j["match"] = *match;
  if (is_core()) {
    j["all"] = all;
    if (!match) j["match"] = nullptr;
  }
  if (!ended_reason.empty()) j["ended_reason"] = ended_reason;
  return j;
}

WatchRow Watch::to_row() const {
  nlohmann::json body = to_json();
  body["start_time"] = start_time;
  return WatchRow{id, pid ? "pid" : "match", status, created_at_ms, std::move(body), mode};
}

std::optional<Watch> Watch::from_row(const WatchRow& row) {
  Watch w;
  w.id = row.id;
  w.status = row.status;
  w.created_at_ms = row.created_at_ms;
  w.options = row.body.value("options", nlohmann::json::object());
  w.ended_reason = row.body.value("ended_reason", std::string());
  w.crashes = row.body.value("crashes", 0);
  w.exits = row.body.value("exits", 0);
  w.last_event = row.body.value("last_event", nlohmann::json(nullptr));
  w.start_time = row.body.value("start_time", uint64_t{0});
  w.mode = row.mode == "core" ? "core" : "ptrace";
  w.all = w.mode == "core" && row.body.value("all", false);
  if (w.all) return w;
  if (row.kind == "pid") {
    w.pid = row.body.value("pid", 0);
  } else {
    auto m = row.body.value("match", nlohmann::json());
    if (!m.is_string()) return std::nullopt;
    w.match = m.get<std::string>();
    auto pattern = procfs::compile_pattern(*w.match);
    if (!pattern) return std::nullopt;
    w.pattern = std::move(pattern.value());
  }
  return w;
}

std::string new_watch_id() {
  static std::mt19937_64 rng{std::random_device{}()};
  char buf[48];
  std::snprintf(buf, sizeof buf, "w-%llx-%06llx", static_cast<unsigned long long>(dbg::unix_time_ms()),
                static_cast<unsigned long long>(rng() & 0xffffff));
  return buf;
}

}  // namespace dbg::coord::watch
