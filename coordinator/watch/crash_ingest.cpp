// The watcher's unprompted lines (watch_manager_impl.hpp): a crash or a non-zero exit becomes
// an event on the hub and an errors::ErrorEvent for the recorder; watch_ended ends a pid watch.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "coordinator/events/hub.hpp"
#include "coordinator/logging/log.hpp"
#include "coordinator/watch/crash_event.hpp"
#include "coordinator/watch/watch_manager_impl.hpp"

namespace dbg::coord::watch {

namespace asio = boost::asio;

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

namespace dbg::coord::watch {


// A core-mode report: stored first (its ingest key skips one stored before: a coordinator
// killed between the COMMIT and the unlink reads its file again), and only a report stored now
// counts in its watch and goes to the hub, so a restart never counts a crash twice.
void WatchManager::Impl::on_core_report(crash::CoreReport report, std::function<void(bool)> done) {
  nlohmann::json context = report.event.context;
  report.event.ingest_key = report.id;
  auto self = shared_from_this();
  auto stored = [self, report, context = std::move(context), done = std::move(done)](Result<int64_t> r) mutable {
    if (!r) {
      spdlog::warn("crash report {} not stored: {}", report.id, r.error().message);
      return done(false);
    }
    done(true);  // the file may go now, whatever the strand does next
    if (r.value() == 0) return;  // known key: counted the first time
    asio::post(self->strand, [self, report = std::move(report), context = std::move(context)] {
      self->count_core_crash(report, context);
    });
  };
  DBG_LOG_INFO("core crash of {} ({}): {}: {}", report.event.pid, report.event.comm, report.event.type,
               report.event.message);
  if (config.record_stored) return config.record_stored(std::move(report.event), std::move(stored));
  auto event = report.event;
  record(std::move(event));
  stored(int64_t{1});
}

void WatchManager::Impl::count_core_crash(const crash::CoreReport& report, const nlohmann::json& context) {
  auto it = watches.find(report.watch_id);
  Watch* w = it != watches.end() && it->second.is_core() ? &it->second : nullptr;
  const auto& e = report.event;
  nlohmann::json summary = {{"watch_id", report.watch_id}, {"pid", report.pid}, {"type", e.type},
                            {"message", e.message}, {"timestamp_ms", e.timestamp_ms}, {"comm", e.comm},
                            {"mode", "core"}};
  if (w) {
    ++w->crashes;
    w->last_event = summary;
    persist(*w);
  }
  nlohmann::json data = summary;
  data["frames"] = e.frames;
  data["context"] = context;
  hub.publish(kTopic, "crash", std::move(data));
}

}  // namespace dbg::coord::watch
