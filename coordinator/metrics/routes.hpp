#pragma once
// GET /metrics (Prometheus text exposition, version 0.0.4) and GET /api/v1/stats (JSON), both
// behind the API token (Router::set_auth covers /metrics). Also observes every HTTP request
// (requests by route and status class, latency histogram) through the router.
#include <chrono>
#include <functional>

#include <nlohmann/json_fwd.hpp>

#include "coordinator/metrics/host_info.hpp"
#include "coordinator/services_fwd.hpp"

namespace dbg::coord::metrics {

struct MetricsSources {
  pool::WorkerPool& pool;
  store::Store& store;
  events::Hub& hub;
  sessions::Scheduler& scheduler;
  std::chrono::steady_clock::time_point started;
  // Features that add to /api/v1/stats without this area knowing them: `live` on the request's
  // thread (numbers held in memory), `from_store` on the store thread (a query). Both may be empty.
  std::function<void(nlohmann::json& stats)> live_stats;
  std::function<void(store::StatementCache& sql, nlohmann::json& stats)> store_stats;
  // /metrics: dbgcoord_host_info (host_info.hpp), and families of features that need a query at
  // scrape time (run on the store thread after the row counts; may be empty).
  HostIdentity host;
  std::function<void(store::StatementCache& sql, Exposition& out)> store_metrics;
};

void add_metrics_routes(http::Router& router, MetricsSources sources);

}  // namespace dbg::coord::metrics
