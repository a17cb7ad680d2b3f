#pragma once
// CrashCapture: the coordinator's side of core mode (docs/crash-capture.md), the facade over its
// parts, one job each: installer.hpp (core_pattern and handler.json), spool_ingest.hpp (reports
// in), drop_counters.hpp (crashes the spool could not hold). The watch manager owns the core
// watches (listed, persisted and deleted with the others) and tells this class whenever their
// list changes; `--crash-capture host` adds one host-wide watch of its own that lives while
// dbgcoord runs. With no core watch and no host watch the handler is uninstalled.
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/crash/drop_counters.hpp"
#include "coordinator/crash/handler_json.hpp"
#include "coordinator/crash/installer.hpp"
#include "coordinator/crash/spool_ingest.hpp"
#include "dbg/error.hpp"

namespace dbg::coord::events {
class Hub;
}

namespace dbg::coord::crash {

inline constexpr const char* kHostWatchId = "host";

struct CrashCaptureConfig {
  InstallerConfig installer;
  bool host = false;  // --crash-capture host
};

class CrashCapture {
 public:
  CrashCapture(CrashCaptureConfig config, events::Hub& hub);
  ~CrashCapture();  // stop()
  CrashCapture(const CrashCapture&) = delete;
  CrashCapture& operator=(const CrashCapture&) = delete;

  // Where reports go (the watch manager); set before start().
  void set_sink(SpoolIngest::Sink sink);
  // Installs the host watch when asked for (its error: forbidden, conflict, bad_request for a
  // pattern over 127 bytes), then starts the spool ingest, which runs either way: reports a
  // killed dbgcoord's handler left are ingested even when core mode is off now.
  Result<void> start();
  // The spool ingest stopped, core_pattern restored (the clean stop). Idempotent.
  void stop();

  // The core watches now (the watch manager's, without the host one). Blocking: file writes.
  // Error forbidden / conflict when installing is refused (nothing changed).
  Result<void> set_core_watches(std::vector<CoreWatchSpec> watches);
  // Whether installing would work now, changing nothing (a POST checks before it stores).
  Result<void> check() const;

  // {"mode":"core"|"off","host","watches","installed","crash_dir","previous_core_pattern",
  //  "spool_depth","reports_ingested","reports_bad","dropped_total","dropped":[...]}
  nlohmann::json status() const;
  // "core (host)", "core (2 watches)" or "off", as the dashboard shows it.
  std::string mode_line() const;

 private:
  Result<void> apply_locked();

  const CrashCaptureConfig config_;
  events::Hub& hub_;
  Installer installer_;
  DroppedTotals dropped_;
  SpoolIngest::Sink sink_;
  std::unique_ptr<SpoolIngest> spool_;
  mutable std::mutex mutex_;
  std::vector<CoreWatchSpec> watches_;
  bool stopped_ = false;
};

}  // namespace dbg::coord::crash
