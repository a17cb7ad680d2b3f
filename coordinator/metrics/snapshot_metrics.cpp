#include "coordinator/metrics/snapshot_metrics.hpp"

#include "dbg/snapshot.hpp"

namespace dbg::coord::metrics {

SnapshotMetrics& snapshot_metrics() {
  // Pauses are microseconds (the product's promise) up to the 500 ms stop timeout; analysis
  // runs from a millisecond (cached) to seconds (first DWARF load of a big library).
  static SnapshotMetrics m{
      global().histogram("dbgcoord_thread_pause_seconds", "How long each captured thread was stopped by a worker.",
                         Histogram::exponential(1e-6, 2.5, 14)),
      global().histogram("dbgcoord_snapshot_analysis_seconds",
                         "Worker time per snapshot: capture plus offline unwinding and symbolization.",
                         Histogram::exponential(1e-4, 2.5, 14)),
      global().counter("dbgcoord_snapshots_received_total", "Snapshots received from workers."),
      global().counter_family("dbgcoord_worker_cache_lookups_total", "Worker cache lookups, by cache.", {"cache"}),
      global().counter_family("dbgcoord_worker_cache_hits_total", "Worker cache hits, by cache.", {"cache"}),
  };
  return m;
}

void observe_snapshot(const dbg::Snapshot& snapshot) {
  auto& m = snapshot_metrics();
  m.snapshots_received.inc();
  for (const auto& t : snapshot.threads) {
    // A thread that could not be captured was never paused by us: it would skew the histogram.
    if (t.error && t.pause_us <= 0) continue;
    m.thread_pause_seconds.observe(t.pause_us / 1e6);
  }
  m.snapshot_analysis_seconds.observe((snapshot.capture_us + snapshot.unwind_us) / 1e6);
  const auto& c = snapshot.cache;
  m.cache_lookups.with({"module"}).inc(c.module_hits + c.module_misses);
  m.cache_hits.with({"module"}).inc(c.module_hits);
  m.cache_lookups.with({"symbol"}).inc(c.symbol_hits + c.symbol_misses);
  m.cache_hits.with({"symbol"}).inc(c.symbol_hits);
}

}  // namespace dbg::coord::metrics
