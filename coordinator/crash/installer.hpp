#pragma once
// Installer: puts our crash handler in /proc/sys/kernel/core_pattern and takes it out again,
// keeping the host's previous pattern so that the handler chains to it and a clean stop writes
// back exactly that value (docs/crash-capture.md).
//
//  - install: the previous value is saved (handler.json "previous" and the plain file
//    previous_core_pattern, which the handler falls back to) before the pattern is switched.
//    A pattern that already is ours (a dbgcoord killed with SIGKILL left it) keeps the saved
//    previous value: we never save ourselves as "previous".
//  - A coredump socket (`@…`) or another instance's handler cannot be chained: Error conflict,
//    nothing changed. Not root, or core_pattern not writable: Error forbidden.
//  - handler.json is rewritten (temporary file + rename) whenever the watches change.
// Thread-safe (one mutex): called from the blocking pool and from the stop path.
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "coordinator/crash/core_pattern.hpp"
#include "coordinator/crash/handler_json.hpp"
#include "dbg/error.hpp"

namespace dbg::coord::crash {

struct InstallerConfig {
  std::filesystem::path worker;     // absolute dbg-worker
  std::filesystem::path crash_dir;  // absolute
  std::string instance;             // the data dir, for handler.json's "instance"
  std::filesystem::path core_pattern_file = kCorePatternFile;
  HandlerLimits limits;
  bool require_root = true;  // unit tests against a plain file turn it off
};

class Installer {
 public:
  explicit Installer(InstallerConfig config);

  // With watches: installed (if not yet) and handler.json written; without: uninstalled.
  Result<void> apply(const std::vector<CoreWatchSpec>& watches);
  // At start without a host watch: if core_pattern is ours (a SIGKILL'ed run left it), takes it
  // over with the saved previous value, so that the next apply() keeps or removes it. true if so.
  bool adopt();
  // Writes the saved previous value back if core_pattern still is ours. Idempotent.
  Result<void> uninstall();

  bool installed() const;
  std::string previous() const;  // the saved previous core_pattern ("" until installed)
  const InstallerConfig& config() const { return config_; }

  // "ok" to install now, or why not (forbidden / conflict): nothing is changed.
  Result<void> check() const;

 private:
  Result<void> install_locked(const std::vector<CoreWatchSpec>& watches);
  Result<void> write_handler_json_locked(const std::vector<CoreWatchSpec>& watches);
  Result<void> check_locked(const std::string& current, const std::string& ours) const;

  const InstallerConfig config_;
  mutable std::mutex mutex_;
  bool installed_ = false;
  std::string ours_;      // our pattern (computed once)
  std::string previous_;  // what to write back
};

}  // namespace dbg::coord::crash
