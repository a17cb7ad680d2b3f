#pragma once
// What the coordinator knows about its own performance, gathered once per request, and its two
// renderings: the Prometheus families /metrics adds to the registry's, and the JSON summary of
// GET /api/v1/stats.
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/metrics/process_stats.hpp"
#include "coordinator/metrics/registry.hpp"

namespace dbg::coord::metrics {

struct WorkerMemory {
  int pid = 0;
  MemoryStatus memory;
};

struct CoordinatorFacts {
  double uptime_seconds = 0;
  std::optional<MemoryStatus> memory;  // this process
  CpuTimes cpu;
  std::vector<WorkerMemory> workers;
  // pool::PoolStats
  std::size_t pool_workers = 0, pool_busy = 0, pool_queued = 0;
  std::uint64_t jobs_done = 0, jobs_failed = 0, workers_started = 0, workers_replaced = 0;
  // store::Store
  std::size_t store_queue_depth = 0;
  std::uint64_t store_writes_committed = 0, store_writes_failed = 0, store_commits = 0;
  // store counts (rows); nullopt when the count could not be taken
  std::optional<std::int64_t> sessions, snapshots, threads, stacks;
  // events::Hub
  std::size_t ws_clients = 0;
  std::uint64_t ws_dropped_clients = 0, events_published = 0;
  // sessions::Scheduler
  std::size_t pending_targets = 0;
};

// Families that come from the facts (not from registered instruments).
void write_facts(Exposition& out, const CoordinatorFacts& facts);

// The /api/v1/stats document (docs/api.md). Reads the snapshot and logging instruments too.
nlohmann::json stats_json(const CoordinatorFacts& facts);

// {"count","mean","p50","p99","max"} in the given unit (scale multiplies base-unit values).
nlohmann::json summary_json(const HistogramSnapshot& h, double scale);

}  // namespace dbg::coord::metrics
