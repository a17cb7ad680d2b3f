#pragma once
// The spool (docs/crash-capture.md, "Crash directory layout"): a report is written to
// spool/tmp/<id>.json, fsync'ed, then renamed to spool/new/<id>.json, so the coordinator only
// ever sees whole reports, whether it runs or not. Bounded: a report that would take spool/new
// over spool_max_files files or spool_max_bytes bytes is not written; the caller counts the crash
// in spool/counters.json instead (core_counters.hpp). The bound check and the rename happen
// under an flock on the spool/new directory, so concurrent handlers cannot overshoot it together.
#include <string>

#include "worker/core/core_args.hpp"
#include "worker/core/core_config.hpp"

namespace dbg::worker::core {

// /proc/sys/kernel/random/boot_id ("unknown-boot" when unreadable): with %P, %t and %I it makes
// the id unique across reboots, which is what lets the coordinator ingest each report once.
std::string boot_id();
// "<boot id>-<%P>-<%t>-<%I>".
std::string crash_id(const CrashArgs& args, const std::string& boot);

enum class SpoolOutcome { kWritten, kOverBounds, kFailed };

struct SpoolResult {
  SpoolOutcome outcome = SpoolOutcome::kFailed;
  std::string detail;  // the report's path, or why not
};

SpoolResult spool_report(const std::string& crash_dir, const std::string& id, const std::string& text,
                         const HandlerLimits& limits);

}  // namespace dbg::worker::core
