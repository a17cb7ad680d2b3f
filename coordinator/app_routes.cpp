#include "coordinator/app_routes.hpp"

#include "coordinator/analysis/analysis_routes.hpp"
#include "coordinator/api/routes.hpp"
#include "coordinator/app_services.hpp"
#include "coordinator/archive/archive_routes.hpp"
#include "coordinator/auth/token.hpp"
#include "coordinator/errors/error_routes.hpp"
#include "coordinator/errors/open_groups.hpp"
#include "coordinator/fleet/fleet_routes.hpp"
#include "coordinator/fleet/fleet_session_routes.hpp"
#include "coordinator/fleet/fleet_settings.hpp"
#include "coordinator/http/health.hpp"
#include "coordinator/logging/routes.hpp"
#include "coordinator/metrics/routes.hpp"
#include "coordinator/profiles/profile_routes.hpp"
#include "coordinator/store/snapshot_rows.hpp"
#include "coordinator/watch/watch_routes.hpp"
#include "coordinator/web/static_files.hpp"

namespace dbg::coord {

namespace {

// What /api/v1/stats adds beyond the metrics area's own numbers.
metrics::MetricsSources metrics_sources(Services& s, std::chrono::steady_clock::time_point started) {
  metrics::MetricsSources out{s.pool, *s.store, *s.hub, s.scheduler, started, {}, {}, {}, {}};
  out.live_stats = [&s](nlohmann::json& stats) {
    s.archiver.add_stats(stats);
    s.budget.add_stats(stats);
    stats["crash_capture"] = s.crash.status();
    auto scan = s.watched_scan.stats();
    stats["scheduled_checks"] = {{"interval_s", s.config.detect_interval_s}, {"rounds", scan.rounds},
                                 {"checks", scan.checks}, {"failed", scan.failed},
                                 {"findings_reported", scan.findings_reported}};
  };
  out.store_stats = [](store::StatementCache& sql, nlohmann::json& stats) {
    const auto groups = archive::select_group_status_counts(sql);
    stats["error_resolution_rate"] = groups.groups > 0 ? nlohmann::json(static_cast<double>(groups.resolved) /
                                                                          static_cast<double>(groups.groups))
                                                         : nlohmann::json(nullptr);
    // Events per group: how many reports the signatures folded into one group.
    stats["error_dedup_ratio"] = groups.groups > 0 ? nlohmann::json(static_cast<double>(groups.events) /
                                                                      static_cast<double>(groups.groups))
                                                     : nlohmann::json(nullptr);
    stats["error_groups"] = {{"groups", groups.groups}, {"resolved", groups.resolved}, {"events", groups.events}};
  };
  // /metrics: who this host is, and its open error groups (one COUNT per scrape).
  out.host = metrics::HostIdentity{fleet::host_name(s.config), std::string(version()), fleet::boot_id(),
                                   fleet::parse_host_labels(s.config.host_labels)};
  out.store_metrics = [](store::StatementCache& sql, metrics::Exposition& exposition) {
    errors::write_open_groups(exposition, errors::select_open_groups(sql));
  };
  return out;
}

}  // namespace

std::shared_ptr<http::Router> build_router(Services& s, const std::string& token,
                                           std::chrono::steady_clock::time_point started) {
  auto router = std::make_shared<http::Router>();
  http::HealthExtra fleet_health;
  if (s.fleet) {
    fleet_health = [fleet = s.fleet.get()](nlohmann::json& body) {
      body["fleet"] = fleet->status();
      // Local work goes on without the fleet database; the status says a part is missing.
      if (!fleet->connected()) body["status"] = "degraded";
    };
  }
  http::add_health_routes(*router, started, std::move(fleet_health));
  api::add_api_routes(*router, api::ApiContext{s.scheduler, s.resolver, *s.store, s.blocking.get_executor(),
                                               &s.budget.shedding()});
  watch::add_watch_routes(*router, s.watches);
  errors::add_error_routes(*router, s.error_service, analysis::group_decorator(s.analysis));
  analysis::add_analysis_routes(*router, s.error_service, s.analysis);
  profiles::add_profile_routes(*router, *s.store);
  logging::add_logging_routes(*router);
  archive::add_archive_routes(*router, s.archiver);
  fleet::add_fleet_routes(*router, s.fleet.get());
  fleet::add_fleet_session_routes(*router, s.fleet.get());
  metrics::add_metrics_routes(*router, metrics_sources(s, started));
  // The dashboard's static files at "/": no token (they hold no data); the page sends it.
  web::add_static_routes(*router);
  // Every /api route and /metrics need the token (header only); /healthz stays open.
  router->set_auth(auth::token_check(token, false));
  return router;
}

}  // namespace dbg::coord
