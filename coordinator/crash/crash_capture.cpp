#include "coordinator/crash/crash_capture.hpp"

#include <spdlog/spdlog.h>

#include "coordinator/crash/crash_metrics.hpp"
#include "coordinator/events/hub.hpp"

namespace dbg::coord::crash {

CrashCapture::CrashCapture(CrashCaptureConfig config, events::Hub& hub)
    : config_(std::move(config)), hub_(hub), installer_(config_.installer) {
  crash_metrics();  // registered (and so exposed) from the start, at 0
}

CrashCapture::~CrashCapture() { stop(); }

void CrashCapture::set_sink(SpoolIngest::Sink sink) { sink_ = std::move(sink); }

Result<void> CrashCapture::start() {
  {
    std::lock_guard lock(mutex_);
    if (config_.host) {
      if (auto ok = apply_locked(); !ok) return ok;
    } else if (installer_.adopt()) {
      // Left by a killed run: kept if the resumed core watches want it, else restored then.
      update_capture_state(true, 0, false);
    }
  }
  auto on_dropped = [this](std::vector<DroppedCount> counts) {
    uint64_t n = 0;
    for (const auto& c : counts) n += c.count;
    dropped_.add(counts);
    crash_metrics().dropped.inc(n);
    auto list = nlohmann::json::array();
    for (const auto& c : counts) list.push_back({{"exe", c.exe}, {"comm", c.comm}, {"signal", c.signal}, {"count", c.count}});
    spdlog::warn("crash capture: {} crashes were not spooled (spool full)", n);
    hub_.publish("watch", "crashes_not_spooled", {{"count", n}, {"dropped", std::move(list)}});
  };
  spool_ = std::make_unique<SpoolIngest>(config_.installer.crash_dir, sink_, std::move(on_dropped));
  spool_->start();
  return {};
}

void CrashCapture::stop() {
  if (spool_) spool_->stop();
  std::lock_guard lock(mutex_);
  if (stopped_) return;
  stopped_ = true;
  if (auto ok = installer_.uninstall(); !ok) spdlog::error("crash capture: restoring core_pattern failed: {}", ok.error().message);
  update_capture_state(false, 0, false);
}

Result<void> CrashCapture::apply_locked() {
  std::vector<CoreWatchSpec> all = watches_;
  // Last: a process a specific watch selects is reported under that watch.
  if (config_.host) all.push_back(CoreWatchSpec{kHostWatchId, std::nullopt, true, nlohmann::json::object()});
  auto ok = installer_.apply(all);
  update_capture_state(installer_.installed(), watches_.size(), config_.host && installer_.installed());
  if (ok && spool_) spool_->poke();
  return ok;
}

Result<void> CrashCapture::set_core_watches(std::vector<CoreWatchSpec> watches) {
  std::lock_guard lock(mutex_);
  if (stopped_) return Error{"shutting_down", "the coordinator is stopping"};
  auto before = std::move(watches_);
  watches_ = std::move(watches);
  auto ok = apply_locked();
  // A refused install leaves the list as it was (the API's "nothing changed").
  if (!ok && !installer_.installed()) watches_ = std::move(before);
  return ok;
}

Result<void> CrashCapture::check() const {
  if (installer_.installed()) return {};
  return installer_.check();
}

std::string CrashCapture::mode_line() const {
  std::lock_guard lock(mutex_);
  if (!installer_.installed()) return "off";
  if (config_.host) return "core (host)";
  return "core (" + std::to_string(watches_.size()) + (watches_.size() == 1 ? " watch)" : " watches)");
}

nlohmann::json CrashCapture::status() const {
  const auto line = mode_line();
  std::lock_guard lock(mutex_);
  auto& m = crash_metrics();
  return {{"mode", installer_.installed() ? "core" : "off"},
          {"line", line},
          {"host", config_.host},
          {"watches", watches_.size()},
          {"installed", installer_.installed()},
          {"crash_dir", config_.installer.crash_dir.string()},
          {"previous_core_pattern", installer_.installed() ? nlohmann::json(installer_.previous()) : nlohmann::json(nullptr)},
          {"spool_depth", spool_ ? spool_->depth() : 0},
          {"reports_ingested", m.reports_ingested.value()},
          {"reports_duplicate", m.reports_duplicate.value()},
          {"reports_bad", m.reports_bad.value()},
          {"dropped_total", dropped_.total()},
          {"dropped", dropped_.to_json()}};
}

}  // namespace dbg::coord::crash
