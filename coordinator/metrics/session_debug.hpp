#pragma once
// The debug record of one session (the seed monitor's "debug session"): when it ran, how long
// the workers spent analysing its targets, the memory high-water marks seen while it ran, and
// its cache hits and lookups. Kept in the Session and served in its JSON as "debug", so it is
// stored with the session and survives restarts.
#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

namespace dbg {
struct Snapshot;
}

namespace dbg::coord::metrics {

struct SessionDebug {
  std::uint64_t snapshots = 0;
  double capture_us = 0;       // sums over the session's snapshots
  double unwind_us = 0;
  double max_analysis_us = 0;  // the slowest snapshot (capture + unwind)
  double max_pause_us = 0;     // the longest single thread pause
  std::uint64_t cache_hits = 0, cache_lookups = 0;  // module and symbol caches together
  std::int64_t coordinator_rss_peak_bytes = 0;      // largest VmRSS seen at batch ends
  std::int64_t workers_peak_bytes = 0;              // largest worker VmHWM seen at batch ends

  void add(const dbg::Snapshot& snapshot);
  // Reads this process's VmRSS and each worker's VmHWM (a few small /proc reads; called once per
  // batch, not per snapshot). Workers are reused, so their VmHWM covers their whole life.
  void sample_memory(const std::vector<int>& worker_pids);
};

// {"start_ms","end_ms","snapshots","analysis_us":{"total","capture","unwind","mean","max"},
//  "max_pause_us","memory_peak_bytes":{"coordinator","workers"},"cache":{"hits","lookups","hit_rate"}}
nlohmann::json to_json(const SessionDebug& d, std::int64_t start_ms, std::optional<std::int64_t> end_ms);

}  // namespace dbg::coord::metrics
