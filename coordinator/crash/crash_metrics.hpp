#pragma once
// The crash capture's instruments in the coordinator's registry (/metrics, /api/v1/stats).
#include <cstddef>

#include "coordinator/metrics/registry.hpp"

namespace dbg::coord::crash {

struct CrashMetrics {
  metrics::Counter& reports_ingested =
      metrics::counter("dbgcoord_crash_reports_ingested_total", "Core-mode crash reports stored as error events.");
  metrics::Counter& reports_duplicate = metrics::counter(
      "dbgcoord_crash_reports_duplicate_total", "Core-mode crash reports skipped: their id was ingested already.");
  metrics::Counter& reports_bad =
      metrics::counter("dbgcoord_crash_reports_bad_total", "Malformed crash reports moved to spool/bad.");
  metrics::Counter& dropped = metrics::counter(
      "dbgcoord_crash_dropped_total", "Crashes the handler could not spool (spool full), from spool/counters.json.");
  metrics::Gauge& spool_depth =
      metrics::gauge("dbgcoord_crash_spool_depth", "Crash reports waiting in spool/new at the last scan.");
};

CrashMetrics& crash_metrics();

// What dbgcoord_crash_capture_mode{mode="core|off"} and dbgcoord_crash_core_watches show
// (a collector registered once with the metrics; the last CrashCapture to call this wins).
void update_capture_state(bool installed, std::size_t core_watches, bool host);

}  // namespace dbg::coord::crash
