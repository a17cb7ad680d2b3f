#pragma once
// What every stored snapshot tells about the tool's own performance: how long each thread was
// paused, how long the worker spent capturing and unwinding, and how its caches did. The
// scheduler calls observe_snapshot() once per snapshot it receives; /metrics and /api/v1/stats
// read the instruments back.
#include "coordinator/metrics/registry.hpp"

namespace dbg {
struct Snapshot;
}

namespace dbg::coord::metrics {

struct SnapshotMetrics {
  Histogram& thread_pause_seconds;       // one observation per captured thread
  Histogram& snapshot_analysis_seconds;  // capture_us + unwind_us, per snapshot
  Counter& snapshots_received;
  Family<Counter>& cache_lookups;  // cache="module"|"symbol"
  Family<Counter>& cache_hits;
};

// Registered in global() on first use.
SnapshotMetrics& snapshot_metrics();
void observe_snapshot(const dbg::Snapshot& snapshot);

}  // namespace dbg::coord::metrics
