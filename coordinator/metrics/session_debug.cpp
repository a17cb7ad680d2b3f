#include "coordinator/metrics/session_debug.hpp"

#include <algorithm>

#include "coordinator/metrics/process_stats.hpp"
#include "dbg/snapshot.hpp"

namespace dbg::coord::metrics {

void SessionDebug::add(const dbg::Snapshot& s) {
  ++snapshots;
  capture_us += s.capture_us;
  unwind_us += s.unwind_us;
  max_analysis_us = std::max(max_analysis_us, s.capture_us + s.unwind_us);
  for (const auto& t : s.threads) max_pause_us = std::max(max_pause_us, t.pause_us);
  cache_hits += s.cache.module_hits + s.cache.symbol_hits;
  cache_lookups += s.cache.module_hits + s.cache.module_misses + s.cache.symbol_hits + s.cache.symbol_misses;
}

void SessionDebug::sample_memory(const std::vector<int>& worker_pids) {
  if (auto self = read_memory()) coordinator_rss_peak_bytes = std::max(coordinator_rss_peak_bytes, self->rss_bytes);
  for (int pid : worker_pids) {
    if (auto w = read_memory(pid)) workers_peak_bytes = std::max(workers_peak_bytes, w->peak_bytes);
  }
}

nlohmann::json to_json(const SessionDebug& d, std::int64_t start_ms, std::optional<std::int64_t> end_ms) {
  double total = d.capture_us + d.unwind_us;
  auto or_null = [](bool known, auto v) { return known ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"start_ms", start_ms},
          {"end_ms", end_ms ? nlohmann::json(*end_ms) : nlohmann::json(nullptr)},
          {"snapshots", d.snapshots},
          {"analysis_us",
           {{"total", total},
            {"capture", d.capture_us},
            {"unwind", d.unwind_us},
            {"mean", or_null(d.snapshots > 0, d.snapshots ? total / static_cast<double>(d.snapshots) : 0.0)},
            {"max", d.max_analysis_us}}},
          {"max_pause_us", d.max_pause_us},
          {"memory_peak_bytes",
           {{"coordinator", or_null(d.coordinator_rss_peak_bytes > 0, d.coordinator_rss_peak_bytes)},
            {"workers", or_null(d.workers_peak_bytes > 0, d.workers_peak_bytes)}}},
          {"cache",
           {{"hits", d.cache_hits},
            {"lookups", d.cache_lookups},
            {"hit_rate", or_null(d.cache_lookups > 0,
                                 d.cache_lookups ? static_cast<double>(d.cache_hits) / static_cast<double>(d.cache_lookups) : 0.0)}}}};
}

}  // namespace dbg::coord::metrics
