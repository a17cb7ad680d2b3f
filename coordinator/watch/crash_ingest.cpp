// The watcher's unprompted lines (watch_manager_impl.hpp): a crash or a non-zero exit becomes
// an event on the hub and an errors::ErrorEvent for the recorder; watch_ended ends a pid watch.
#include <spdlog/spdlog.h>

#include "coordinator/events/hub.hpp"
#include "coordinator/watch/crash_event.hpp"
#include "coordinator/watch/watch_manager_impl.hpp"

namespace dbg::coord::watch {

void WatchManager::Impl::on_event(const nlohmann::json& line) {
  try {
    std::string type = line.value("type", std::string());
    if (type == "crash") return on_crash(line);
    if (type == "exit") return on_exit_event(line);
    if (type == "watch_ended") return on_watch_ended(line);
  } catch (const std::exception& e) {
    spdlog::warn("watcher line not understood ({}): {}", e.what(), line.dump().substr(0, 200));
  }
}

void WatchManager::Impl::on_crash(const nlohmann::json& line) {
  int pid = line.at("pid");
  Watch* w = owner_of(pid);
  std::string watch_id = w ? w->id : std::string();
  auto event = crash_to_event(line, watch_id);
  const auto& ctx = line.at("context");
  nlohmann::json summary = {{"watch_id", watch_id},       {"pid", pid},
                            {"type", event.type},         {"message", event.message},
                            {"timestamp_ms", event.timestamp_ms}, {"comm", event.comm}};
  if (w) {
    ++w->crashes;
    w->last_event = summary;
    persist(*w);
  }
  nlohmann::json data = summary;
  data["frames"] = event.frames;
  data["context"] = ctx;
  hub.publish(kTopic, "crash", std::move(data));
  record(std::move(event));
}

void WatchManager::Impl::on_exit_event(const nlohmann::json& line) {
  int pid = line.at("pid");
  Watch* w = owner_of(pid);
  std::string watch_id = w ? w->id : std::string();
  auto event = exit_to_event(line, watch_id);
  nlohmann::json summary = {{"watch_id", watch_id},        {"pid", pid},         {"type", event.type},
                            {"status", line.at("status")}, {"comm", event.comm}, {"timestamp_ms", event.timestamp_ms}};
  if (w) {
    ++w->exits;
    w->last_event = summary;
    persist(*w);
  }
  hub.publish(kTopic, "exit", summary);
  record(std::move(event));
}

void WatchManager::Impl::record(errors::ErrorEvent event) {
  if (!recorder) return;
  try {
    recorder(std::move(event));
  } catch (const std::exception& e) {
    spdlog::error("error recorder failed: {}", e.what());
  }
}

void WatchManager::Impl::on_watch_ended(const nlohmann::json& line) {
  int pid = line.at("pid");
  Watch* w = owner_of(pid);
  pid_owner.erase(pid);
  if (!w) return;  // deleted meanwhile
  w->pids.erase(pid);
  std::string reason = line.value("reason", std::string());
  nlohmann::json data = line;
  data.erase("v");
  data.erase("type");
  data["watch_id"] = w->id;
  if (w->pid) {
    w->status = "ended";
    w->ended_reason = reason;
    persist(*w);
  }
  hub.publish(kTopic, "watch_ended", std::move(data));
}

}  // namespace dbg::coord::watch
