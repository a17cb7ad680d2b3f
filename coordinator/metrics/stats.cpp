#include "coordinator/metrics/stats.hpp"

#include <algorithm>

#include "coordinator/analysis/analysis_metrics.hpp"
#include "coordinator/errors/error_metrics.hpp"
#include "coordinator/logging/sampler.hpp"
#include "coordinator/metrics/snapshot_metrics.hpp"

namespace dbg::coord::metrics {

namespace {

nlohmann::json optional_json(const std::optional<std::int64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

}  // namespace

nlohmann::json summary_json(const HistogramSnapshot& h, double scale) {
  if (h.count == 0) return {{"count", 0}, {"mean", nullptr}, {"p50", nullptr}, {"p99", nullptr}, {"max", nullptr}};
  return {{"count", h.count},
          {"mean", h.mean() * scale},
          {"p50", h.quantile(0.5) * scale},
          {"p99", h.quantile(0.99) * scale},
          {"max", h.max * scale}};
}

void write_facts(Exposition& out, const CoordinatorFacts& f) {
  using Type = Exposition::Type;
  out.gauge("dbgcoord_uptime_seconds", "Seconds since the coordinator started.", f.uptime_seconds);
  out.counter("dbgcoord_process_cpu_seconds_total", "CPU time used by the coordinator (user and system).", f.cpu.total());
  if (f.memory) {
    out.gauge("dbgcoord_process_resident_memory_bytes", "The coordinator's resident memory (VmRSS).",
              static_cast<double>(f.memory->rss_bytes));
    out.gauge("dbgcoord_process_resident_memory_peak_bytes", "The coordinator's peak resident memory (VmHWM).",
              static_cast<double>(f.memory->peak_bytes));
  }
  std::int64_t worker_rss = 0, worker_peak = 0;
  for (const auto& w : f.workers) {
    worker_rss += w.memory.rss_bytes;
    worker_peak = std::max(worker_peak, w.memory.peak_bytes);
  }
  out.gauge("dbgcoord_workers_resident_memory_bytes", "Resident memory of all live workers together.", static_cast<double>(worker_rss));
  out.gauge("dbgcoord_worker_resident_memory_peak_bytes", "The largest peak resident memory (VmHWM) of a live worker.",
            static_cast<double>(worker_peak));

  out.gauge("dbgcoord_pool_workers", "Live worker processes.", static_cast<double>(f.pool_workers));
  out.gauge("dbgcoord_pool_workers_busy", "Workers running a job.", static_cast<double>(f.pool_busy));
  out.gauge("dbgcoord_pool_jobs_queued", "Jobs waiting for a worker.", static_cast<double>(f.pool_queued));
  out.family("dbgcoord_pool_jobs_total", "Jobs finished by the worker pool, by outcome.", Type::counter);
  out.sample("dbgcoord_pool_jobs_total", {{"outcome", "done"}}, static_cast<double>(f.jobs_done));
  out.sample("dbgcoord_pool_jobs_total", {{"outcome", "failed"}}, static_cast<double>(f.jobs_failed));
  out.counter("dbgcoord_pool_workers_started_total", "Worker processes started.", static_cast<double>(f.workers_started));
  out.counter("dbgcoord_pool_workers_replaced_total", "Workers killed and replaced (crash, deadline, heartbeat).",
              static_cast<double>(f.workers_replaced));

  out.gauge("dbgcoord_store_queue_depth", "Store jobs waiting for the SQLite thread.", static_cast<double>(f.store_queue_depth));
  out.family("dbgcoord_store_writes_total", "Store writes, by outcome.", Type::counter);
  out.sample("dbgcoord_store_writes_total", {{"outcome", "committed"}}, static_cast<double>(f.store_writes_committed));
  out.sample("dbgcoord_store_writes_total", {{"outcome", "failed"}}, static_cast<double>(f.store_writes_failed));
  out.counter("dbgcoord_store_commits_total", "SQLite transactions committed (writes are batched into them).",
              static_cast<double>(f.store_commits));
  if (f.sessions && f.snapshots && f.threads && f.stacks) {
    out.family("dbgcoord_store_rows", "Rows stored, by table.", Type::gauge);
    out.sample("dbgcoord_store_rows", {{"table", "sessions"}}, static_cast<double>(*f.sessions));
    out.sample("dbgcoord_store_rows", {{"table", "snapshots"}}, static_cast<double>(*f.snapshots));
    out.sample("dbgcoord_store_rows", {{"table", "threads"}}, static_cast<double>(*f.threads));
    out.sample("dbgcoord_store_rows", {{"table", "stacks"}}, static_cast<double>(*f.stacks));
  }
  out.gauge("dbgcoord_sessions_pending_targets", "Targets admitted to sessions and not finished.",
            static_cast<double>(f.pending_targets));

  out.gauge("dbgcoord_websocket_clients", "Connected event-stream clients.", static_cast<double>(f.ws_clients));
  out.counter("dbgcoord_websocket_dropped_clients_total", "Event-stream clients closed for being too slow.",
              static_cast<double>(f.ws_dropped_clients));
  out.counter("dbgcoord_events_published_total", "Events published to the hub.", static_cast<double>(f.events_published));
}

nlohmann::json stats_json(const CoordinatorFacts& f) {
  auto& sm = snapshot_metrics();
  auto pause = sm.thread_pause_seconds.snapshot();
  auto analysis = sm.snapshot_analysis_seconds.snapshot();

  nlohmann::json pause_buckets = nlohmann::json::array();
  for (std::size_t i = 0; i < pause.counts.size(); ++i) {
    pause_buckets.push_back({{"le_us", i < pause.bounds.size() ? nlohmann::json(pause.bounds[i] * 1e6) : nlohmann::json("+Inf")},
                             {"count", pause.counts[i]}});
  }
  nlohmann::json pause_json = summary_json(pause, 1e6);
  pause_json["buckets"] = std::move(pause_buckets);

  std::uint64_t hits = 0, lookups = 0;
  for (const auto& [labels, c] : sm.cache_hits.children()) hits += c->value();
  for (const auto& [labels, c] : sm.cache_lookups.children()) lookups += c->value();

  nlohmann::json workers = nlohmann::json::array();
  std::int64_t workers_peak = 0;
  for (const auto& w : f.workers) {
    workers.push_back({{"pid", w.pid}, {"rss_bytes", w.memory.rss_bytes}, {"peak_bytes", w.memory.peak_bytes}});
    workers_peak = std::max(workers_peak, w.memory.peak_bytes);
  }

  nlohmann::json dropped = nlohmann::json::object();
  std::uint64_t dropped_total = 0;
  for (auto l : logging::kLevels) {
    auto c = logging::counters(l);
    dropped[std::string(logging::name(l))] = c.dropped;
    dropped_total += c.dropped;
  }
  dropped["total"] = dropped_total;

  // The error analysis (coordinator/analysis/): its pattern cache and timings.
  auto& am = analysis::analysis_metrics();
  const auto a_hits = am.cache_hits.value(), a_misses = am.cache_misses.value();
  nlohmann::json a_rate = a_hits + a_misses ? nlohmann::json(static_cast<double>(a_hits) / static_cast<double>(a_hits + a_misses))
                                            : nlohmann::json(nullptr);
  nlohmann::json analysis_json{
      {"cache", {{"hits", a_hits}, {"misses", a_misses}, {"hit_rate", a_rate},
                 {"entries", static_cast<std::uint64_t>(am.cache_entries.value())},
                 {"capacity", static_cast<std::uint64_t>(am.cache_capacity.value())},
                 {"evictions", am.cache_evictions.value()}, {"invalidations", am.cache_invalidations.value()}}},
      {"analysis_us", summary_json(am.analysis_seconds.snapshot(), 1e6)},
      {"classify_us", summary_json(am.classify_seconds.snapshot(), 1e6)},
      {"similar_us", summary_json(am.similar_seconds.snapshot(), 1e6)},
      {"similarity_index_groups", static_cast<std::uint64_t>(am.index_groups.value())},
      {"skipped", am.skipped.value()},
      {"model_loaded", am.model_loaded.value() > 0}};

  // The error groups' ingest since start (coordinator/errors/).
  auto& em = errors::error_metrics();
  const auto m_hits = em.stack_memo_hits.value(), m_misses = em.stack_memo_misses.value();
  nlohmann::json errors_json{
      {"events_recorded", em.events_recorded.value()},
      {"events_failed", em.events_failed.value()},
      {"groups_created", em.groups_created.value()},
      {"regressions", em.regressions.value()},
      {"stack_memo",
       {{"hits", m_hits}, {"misses", m_misses},
        {"hit_rate", m_hits + m_misses ? nlohmann::json(static_cast<double>(m_hits) / static_cast<double>(m_hits + m_misses))
                                       : nlohmann::json(nullptr)},
        {"entries", static_cast<std::uint64_t>(em.stack_memo_entries.value())},
        {"bytes", static_cast<std::uint64_t>(em.stack_memo_bytes.value())}}}};

  nlohmann::json stack_dedup = nullptr;
  if (f.threads && f.stacks && *f.stacks > 0) stack_dedup = static_cast<double>(*f.threads) / static_cast<double>(*f.stacks);

  return {
      {"uptime_s", f.uptime_seconds},
      {"thread_pause_us", std::move(pause_json)},
      {"snapshot_analysis_us", summary_json(analysis, 1e6)},
      {"worker_cache", {{"hits", hits}, {"lookups", lookups},
                        {"hit_rate", lookups ? nlohmann::json(static_cast<double>(hits) / static_cast<double>(lookups)) : nlohmann::json(nullptr)}}},
      {"memory",
       {{"coordinator", f.memory ? nlohmann::json{{"rss_bytes", f.memory->rss_bytes}, {"peak_bytes", f.memory->peak_bytes}}
                                 : nlohmann::json(nullptr)},
        {"workers_peak_bytes", f.workers.empty() ? nlohmann::json(nullptr) : nlohmann::json(workers_peak)},
        {"workers", std::move(workers)}}},
      {"cpu_seconds", {{"user", f.cpu.user_seconds}, {"system", f.cpu.system_seconds}}},
      {"queue_depth", {{"store", f.store_queue_depth}, {"pool", f.pool_queued}, {"pending_targets", f.pending_targets}}},
      {"workers", {{"live", f.pool_workers}, {"busy", f.pool_busy}, {"started", f.workers_started}, {"restarts", f.workers_replaced}}},
      {"jobs", {{"done", f.jobs_done}, {"failed", f.jobs_failed}}},
      {"store", {{"sessions", optional_json(f.sessions)}, {"snapshots", optional_json(f.snapshots)},
                 {"threads", optional_json(f.threads)}, {"stacks", optional_json(f.stacks)},
                 {"commits", f.store_commits}, {"writes_committed", f.store_writes_committed}}},
      {"stack_dedup_ratio", std::move(stack_dedup)},
      {"log_lines_dropped", std::move(dropped)},
      {"websocket", {{"clients", f.ws_clients}, {"dropped_clients", f.ws_dropped_clients}}},
      // error_resolution_rate, error_dedup_ratio and archive_compression_ratio are filled in by
      // MetricsSources::store_stats/live_stats (app.cpp) and stay null while there is nothing to
      // divide. Present anyway, so clients can rely on the keys.
      {"errors", std::move(errors_json)},
      {"error_analysis_us", summary_json(am.analysis_seconds.snapshot(), 1e6)},
      {"error_cache_hit_rate", a_rate},
      {"analysis", std::move(analysis_json)},
      {"error_resolution_rate", nullptr},
      {"error_dedup_ratio", nullptr},
      {"archive_compression_ratio", nullptr},
  };
}

}  // namespace dbg::coord::metrics
