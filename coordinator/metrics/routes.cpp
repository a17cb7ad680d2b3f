#include "coordinator/metrics/routes.hpp"

#include <memory>

#include "coordinator/api/query.hpp"
#include "coordinator/api/routes.hpp"
#include "coordinator/events/hub.hpp"
#include "coordinator/http/router.hpp"
#include "coordinator/logging/log.hpp"
#include "coordinator/metrics/registry.hpp"
#include "coordinator/metrics/snapshot_metrics.hpp"
#include "coordinator/metrics/stats.hpp"
#include "coordinator/pool/worker_pool.hpp"
#include "coordinator/sessions/scheduler.hpp"
#include "coordinator/store/store.hpp"

namespace dbg::coord::metrics {

namespace {

const char* status_class(unsigned status) {
  if (status < 200) return "1xx";
  if (status < 300) return "2xx";
  if (status < 400) return "3xx";
  if (status < 500) return "4xx";
  return "5xx";
}

// Everything but the store's row counts, which need a trip to the store thread.
CoordinatorFacts gather(const MetricsSources& s) {
  CoordinatorFacts f;
  f.uptime_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - s.started).count();
  f.memory = read_memory();
  f.cpu = process_cpu();
  for (int pid : s.pool.worker_pids()) {
    if (auto m = read_memory(pid)) f.workers.push_back({pid, *m});
  }
  auto p = s.pool.stats();
  f.pool_workers = p.workers;
  f.pool_busy = p.busy;
  f.pool_queued = p.queued;
  f.jobs_done = p.jobs_done;
  f.jobs_failed = p.jobs_failed;
  f.workers_started = p.workers_started;
  f.workers_replaced = p.workers_replaced;
  f.store_queue_depth = s.store.queue_depth();
  auto t = s.store.totals();
  f.store_writes_committed = t.writes_committed;
  f.store_writes_failed = t.writes_failed;
  f.store_commits = t.commits;
  f.ws_clients = s.hub.subscribers();
  f.ws_dropped_clients = s.hub.dropped_clients();
  f.events_published = s.hub.published();
  f.pending_targets = s.scheduler.pending_targets();
  return f;
}

// Gathers the facts, then the row counts on the store thread; `done` runs there (it only
// renders and replies, which any thread may do).
void with_facts(const MetricsSources& s, std::function<void(CoordinatorFacts)> done) {
  auto facts = std::make_shared<CoordinatorFacts>(gather(s));
  s.store.counts([facts, done = std::move(done)](store::Store::Counts c) {
    facts->sessions = c.sessions;
    facts->snapshots = c.snapshots;
    facts->threads = c.threads;
    facts->stacks = c.stacks;
    done(std::move(*facts));
  });
}

}  // namespace

void add_metrics_routes(http::Router& router, MetricsSources sources) {
  // Registered now, so /metrics shows them at zero before the first snapshot.
  snapshot_metrics();
  auto& requests = global().counter_family("dbgcoord_http_requests_total", "HTTP requests answered, by route and status class.",
                                           {"route", "code"});
  auto& latency = global().histogram_family("dbgcoord_http_request_duration_seconds",
                                            "Time from routing a request to its answer, by route.", {"route"},
                                            Histogram::exponential(0.0001, 2.5, 14));
  router.set_observer([&requests, &latency](std::string_view route, unsigned status, std::chrono::steady_clock::duration took) {
    std::string r(route);
    requests.with({r, status_class(status)}).inc();
    latency.with({r}).observe(std::chrono::duration<double>(took).count());
  });

  router.add_async("GET", "/metrics", [sources](http::HttpRequest req, http::Reply reply) {
    if (auto q = api::parse_query(req.query, {}); !q) return reply(api::error_response(q.error()));
    with_facts(sources, [sources, reply](CoordinatorFacts facts) {
      auto out = std::make_shared<Exposition>();
      write_host_info(*out, sources.host);
      global().write(*out);
      write_facts(*out, facts);
      auto send = [out, reply] {
        http::HttpResponse r;
        r.status = 200;
        r.content_type = "text/plain; version=0.0.4; charset=utf-8";
        r.body = out->text();
        reply(std::move(r));
      };
      if (!sources.store_metrics) return send();
      // Queued from the store thread (with_facts answers there): runs right after. A failed
      // query leaves its families out rather than failing the scrape (the rest is still true).
      sources.store.read([sources, out, send](store::StatementCache& sql) {
        try {
          Exposition more;
          sources.store_metrics(sql, more);
          out->append(more);
        } catch (const std::exception& e) {
          DBG_LOG_ERROR("metrics: reading from the store: {}", e.what());
        }
        send();
      });
    });
  });
  router.add_async("GET", "/api/v1/stats", [sources](http::HttpRequest req, http::Reply reply) {
    if (auto q = api::parse_query(req.query, {}); !q) return reply(api::error_response(q.error()));
    with_facts(sources, [sources, reply](CoordinatorFacts facts) {
      auto stats = std::make_shared<nlohmann::json>(stats_json(facts));
      if (sources.live_stats) sources.live_stats(*stats);
      if (!sources.store_stats) return reply(api::json_response(200, *stats));
      // Queued from the store thread (with_facts answers there): runs right after.
      sources.store.read([sources, stats, reply](store::StatementCache& sql) {
        try {
          sources.store_stats(sql, *stats);
        } catch (const std::exception& e) {
          DBG_LOG_ERROR("stats: reading from the store: {}", e.what());
        }
        reply(api::json_response(200, *stats));
      });
    });
  });
}

}  // namespace dbg::coord::metrics
