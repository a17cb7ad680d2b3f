#include "coordinator/app.hpp"

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <pthread.h>
#include <thread>
#include <vector>

#include "coordinator/analysis/analysis_routes.hpp"
#include "coordinator/analysis/analysis_service.hpp"
#include "coordinator/api/routes.hpp"
#include "coordinator/archive/archive_routes.hpp"
#include "coordinator/archive/archiver.hpp"
#include "coordinator/budget/budget_monitor.hpp"
#include "coordinator/auth/token.hpp"
#include "coordinator/detect/detector.hpp"
#include "coordinator/detect/watched_scan.hpp"
#include "coordinator/errors/error_routes.hpp"
#include "coordinator/errors/error_service.hpp"
#include "coordinator/events/hub.hpp"
#include "coordinator/http/events_endpoint.hpp"
#include "coordinator/http/health.hpp"
#include "coordinator/http/listener.hpp"
#include "coordinator/http/router.hpp"
#include "coordinator/http/server_context.hpp"
#include "coordinator/logging/log.hpp"
#include "coordinator/logging/logger.hpp"
#include "coordinator/logging/routes.hpp"
#include "coordinator/metrics/routes.hpp"
#include "coordinator/policy/target_policy.hpp"
#include "coordinator/pool/worker_pool.hpp"
#include "coordinator/profiles/profile_routes.hpp"
#include "coordinator/ranking/ranker.hpp"
#include "coordinator/sessions/scheduler.hpp"
#include "coordinator/sessions/target_resolver.hpp"
#include "coordinator/store/data_dir.hpp"
#include "coordinator/store/snapshot_rows.hpp"
#include "coordinator/store/store.hpp"
#include "coordinator/watch/watch_manager.hpp"
#include "coordinator/watch/watch_routes.hpp"
#include "coordinator/web/static_files.hpp"

namespace dbg::coord {

namespace {

constexpr const char* kDatabaseFile = "dbgcoord.db";

// dbg-worker lives next to dbgcoord (build/bin, or the install prefix); DBGCOORD_WORKER overrides.
std::string worker_executable() {
  if (const char* env = std::getenv("DBGCOORD_WORKER"); env && *env) return env;
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot locate dbgcoord's own executable: " + ec.message());
  auto worker = self.parent_path() / "dbg-worker";
  if (::access(worker.c_str(), X_OK) != 0) throw std::runtime_error("worker executable not found: " + worker.string());
  return worker.string();
}

std::vector<ranking::RankRule> load_rank_rules(const std::optional<std::filesystem::path>& file) {
  if (!file) return {};
  std::ifstream in(*file);
  if (!in) throw std::runtime_error("cannot read --rank-rules file " + file->string());
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error("--rank-rules file " + file->string() + " is not valid JSON");
  auto rules = ranking::parse_rules(j);
  if (!rules) throw std::runtime_error("--rank-rules file " + file->string() + ": " + rules.error().message);
  return rules.value();
}

// http://HOST:PORT/?token=T, with the loopback address for a wildcard listen address.
std::string dashboard_url(const ListenAddress& bound, const std::string& token) {
  ListenAddress shown = bound;
  if (shown.host == "0.0.0.0") shown.host = "127.0.0.1";
  if (shown.host == "::") shown.host = "::1";
  return "http://" + shown.to_string() + "/?token=" + token;
}

}  // namespace

namespace {

// --list-routes builds the whole server to list what it registered, which needs a data
// directory: a throwaway one, so listing never creates or touches the configured one.
class ScratchDir {
 public:
  explicit ScratchDir(bool wanted) {
    if (!wanted) return;
    std::string pattern = (std::filesystem::temp_directory_path() / "dbgcoord-routes-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace

int run(const Config& config) {
  const auto started = std::chrono::steady_clock::now();

  ScratchDir scratch(config.list_routes);
  auto data_dir = store::ensure_data_dir(scratch.path().empty() ? config.data_dir : scratch.path());
  // Before the database: a bad --token-file is exit 1 with nothing else touched.
  auto token = auth::load_or_create_token(data_dir, config.token_file);
  // From here on logs also go to DATA_DIR/logs (asynchronous, sampled; logging/logger.hpp).
  logging::LoggerOptions log_options;
  log_options.directory = data_dir / "logs";
  logging::LoggerGuard logger(log_options);
  DBG_LOG_INFO("{}", auth::token_notice(token));
  auto rules = load_rank_rules(config.rank_rules_file);
  const std::string worker = worker_executable();

  // The store migrates the database and owns its one writer thread.
  auto store = store::Store::open(data_dir / kDatabaseFile);

  // One io_context, run by config.io_threads threads (this one included): HTTP sessions, the
  // scheduler and the pool live on strands of it, so handlers of one object never overlap.
  // /proc reads (ranking, which may wait for a CPU sample) run on `blocking`.
  boost::asio::io_context ioc(static_cast<int>(config.io_threads));
  boost::asio::thread_pool blocking(1);
  auto hub = std::make_shared<events::Hub>();

  pool::PoolConfig pool_config;
  pool_config.worker_executable = worker;
  pool_config.max_workers = config.workers;
  pool::WorkerPool pool(ioc, pool_config, [hub](const pool::PoolEvent& e) {
    hub->publish("worker", e.type, {{"worker_pid", e.worker_pid}, {"reason", e.reason}});
  });

  policy::PolicyConfig policy_config;
  policy_config.allow_other_users = config.allow_other_users;
  policy::TargetPolicy policy(policy_config, static_cast<int>(::getpid()));

  // Error groups: events from the API and from the crash watch. Declared before the watch
  // manager, which hands it events until it is destroyed.
  // The error analysis (classifier, pattern cache, similar groups) before the error service,
  // so it outlives the service's last observer call.
  analysis::AnalysisConfig analysis_config;
  analysis_config.cache_entries = config.analysis_cache;
  analysis_config.model_file = config.model_file;
  analysis::AnalysisService analysis(*store, analysis_config);
  analysis.warm();
  errors::ErrorService error_service(*store, hub, ioc.get_executor());
  if (config.analysis_background) error_service.set_group_observer(analysis.observer());

  // Old raw events folded into archives on a schedule (and on demand), then the size cap.
  archive::ArchiveConfig archive_config;
  archive_config.after = std::chrono::seconds(config.archive_after_s);
  archive_config.window = std::chrono::seconds(config.archive_window_s);
  archive_config.interval = std::chrono::seconds(config.archive_interval_s);
  archive_config.max_db_bytes = static_cast<uint64_t>(config.max_db_mb) << 20;
  archive::Archiver archiver(*store, hub, ioc.get_executor(), archive_config,
                             [&error_service](store::StatementCache& sql) { error_service.forget_cached_groups(sql); });

  // The coordinator's own budget. Stage 2 shrinks these caches to about a tenth (their truth is
  // in SQLite, so only latency suffers); recovery gives them their usual size back.
  budget::BudgetConfig budget_config;
  budget_config.limits.rss_bytes = static_cast<int64_t>(config.budget_rss_mb) << 20;
  budget_config.limits.cpu_percent = config.budget_cpu_percent;
  budget::ShedActions shed_actions;
  shed_actions.shrink_caches = [&error_service, &store](bool shrink) {
    const errors::ErrorServiceConfig usual;
    error_service.set_cache_capacity(shrink ? usual.cached_groups / 10 : usual.cached_groups,
                                     shrink ? usual.cached_stacks / 8 : usual.cached_stacks);
    store->set_known_stacks_capacity(shrink ? store::KnownStacks::kMaxEntries / 8 : store::KnownStacks::kMaxEntries);
  };
  budget::BudgetMonitor budget(ioc.get_executor(), budget_config, hub, std::move(shed_actions));

  // Crash watches: one `dbg-worker watch` process for all of them; every crash and non-zero
  // exit becomes an event of the error groups.
  watch::WatchManagerConfig watch_config;
  watch_config.watcher_executable = worker;
  watch::WatchManager watches(ioc, blocking.get_executor(), watch_config, policy, *store, *hub,
                              [record = error_service.recorder()](errors::ErrorEvent e) {
                                DBG_LOG_INFO("watch {} of {} ({}): {}: {}", e.kind, e.pid, e.comm, e.type, e.message);
                                record(std::move(e));
                              });
  // The watcher is a tracer like the workers: never a target.
  policy.set_worker_pids_provider([&pool, &watches] {
    auto pids = pool.worker_pids();
    if (int watcher = watches.watcher_pid(); watcher > 0) pids.push_back(watcher);
    return pids;
  });
  ranking::Ranker ranker(std::move(rules));
  sessions::TargetResolver resolver(ranker, policy);

  // Deadlock / busy-hang checks (sessions with options.detect): snapshots through the pool,
  // findings into the error groups like crashes.
  detect::Detector detector(ioc.get_executor(), blocking.get_executor(), pool, error_service.recorder());
  // Watched processes are captured by the watcher, which holds their threads: for the detector
  // and, below, for plain snapshot sessions.
  const detect::WatchedCapture watched_capture = [&watches](int pid, nlohmann::json options,
                                                            std::chrono::milliseconds deadline,
                                                            std::function<void(Result<Snapshot>)> done) {
    watches.capture(pid, std::move(options), deadline, std::move(done));
  };
  detector.set_watched_capture(watched_capture);

  // --detect-interval: the deadlock check over the crash-watched processes, on a timer.
  detect::WatchedScan watched_scan(
      ioc.get_executor(), std::chrono::seconds(config.detect_interval_s), detector,
      [&watches](std::function<void(std::vector<int>)> done) { watches.watched_pids(std::move(done)); },
      [hub](int pid, const detect::Finding& f) {
        // Like a session's findings, without a session.
        hub->publish("detect", "finding", {{"session_id", nullptr}, {"pid", pid}, {"kind", f.kind}, {"message", f.message}});
      });

  sessions::SchedulerConfig scheduler_config;
  scheduler_config.batch_size = config.batch_size;
  scheduler_config.max_pending_targets = config.max_queue;
  scheduler_config.max_profile_duration_s = static_cast<double>(config.max_profile_duration_s);
  scheduler_config.profile_memory_bytes = static_cast<uint64_t>(config.profile_memory_mb) << 20;
  sessions::Scheduler scheduler(ioc.get_executor(), blocking.get_executor(), scheduler_config, pool, *store, *hub,
                                resolver, &detector);
  scheduler.set_watched_capture(watched_capture);
  scheduler.set_watched_pids([&watches](std::function<void(std::vector<int>)> done) { watches.watched_pids(std::move(done)); });
  scheduler.fail_interrupted_sessions();

  auto router = std::make_shared<http::Router>();
  http::add_health_routes(*router, started);
  api::add_api_routes(*router, api::ApiContext{scheduler, resolver, *store, blocking.get_executor(), &budget.shedding()});
  watch::add_watch_routes(*router, watches);
  errors::add_error_routes(*router, error_service, analysis::group_decorator(analysis));
  analysis::add_analysis_routes(*router, error_service, analysis);
  profiles::add_profile_routes(*router, *store);
  logging::add_logging_routes(*router);
  archive::add_archive_routes(*router, archiver);
  metrics::MetricsSources metrics_sources{pool, *store, *hub, scheduler, started, {}, {}};
  metrics_sources.live_stats = [&archiver, &budget, &watched_scan, &config](nlohmann::json& stats) {
    archiver.add_stats(stats);
    budget.add_stats(stats);
    auto scan = watched_scan.stats();
    stats["scheduled_checks"] = {{"interval_s", config.detect_interval_s}, {"rounds", scan.rounds},
                                 {"checks", scan.checks}, {"failed", scan.failed},
                                 {"findings_reported", scan.findings_reported}};
  };
  metrics_sources.store_stats = [](store::StatementCache& sql, nlohmann::json& stats) {
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
  metrics::add_metrics_routes(*router, std::move(metrics_sources));
  // The dashboard's static files at "/": no token (they hold no data); the page sends it.
  web::add_static_routes(*router);
  // Every /api route and /metrics need the token (header only); /healthz stays open.
  router->set_auth(auth::token_check(token.token, false));
  if (config.list_routes) {
    for (const auto& route : router->routes()) std::printf("%s %s\n", route.method.c_str(), route.pattern.c_str());
    // Served by the HTTP session before routing (it upgrades to a WebSocket), with its own check.
    std::printf("GET %s websocket\n", std::string(http::kEventsPath).c_str());
    std::fflush(stdout);
    return kExitOk;
  }

  http::ServerContext context;
  context.router = router;
  context.hub = hub;
  // The event stream also takes ?token= and the dbgcoord_token cookie: browsers cannot set
  // headers on a WebSocket (the endpoint checks Origin against Host).
  context.events_auth = auth::token_check(token.token, true);
  context.limits = http::HttpLimits{};
  context.limits.max_connections = config.max_connections;
  http::Listener listener(ioc, config.listen, std::move(context));

  // Installed before the startup line is printed: whoever reads that line may signal us at once,
  // and a signal before this point would kill us with the default action (no clean exit).
  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  // A stop in order (tests/integration/coordinator_faults_test.cpp checks each step):
  //  1. no new connections;
  //  2. unfinished sessions end as "failed" with a reason and are committed (before this, a
  //     clean stop left them "running" in the database until the next start);
  //  3. workers and the watcher are killed: the kernel releases every thread they held
  //     (PTRACE_SEIZE), so no target stays stopped or traced;
  //  4. the io_context stops once step 2 is committed, or after kStopGrace whatever happens (a
  //     disk that no longer answers must not keep a SIGTERMed server alive);
  //  5. after run(): the store drains its queue and closes the database (last connection:
  //     SQLite checkpoints and removes the WAL), the logger flushes its queue.
  static constexpr auto kStopGrace = std::chrono::seconds(5);
  boost::asio::steady_timer stop_guard(ioc);
  signals.async_wait([&](const boost::system::error_code& ec, int signal_number) {
    if (ec) return;
    DBG_LOG_INFO("received {}, stopping", ::strsignal(signal_number));
    listener.stop();
    scheduler.shutdown([&ioc] { ioc.stop(); });
    pool.shutdown();
    watches.stop();
    watched_scan.stop();
    archiver.stop();
    budget.stop();
    stop_guard.expires_after(kStopGrace);
    stop_guard.async_wait([&ioc](const boost::system::error_code& e) {
      if (e) return;
      DBG_LOG_WARN("sessions not saved within {} s of the stop signal; stopping anyway", kStopGrace.count());
      ioc.stop();
    });
  });

  watches.start();
  watched_scan.start();
  archiver.start();
  budget.start();
  listener.start();
  auto bound = listener.local_address();
  if (!config.listen.is_loopback()) {
    // Allowed only with --allow-remote (config.cpp); said loudly, since whoever reaches this
    // port with the token can read the memory of every process we may trace.
    DBG_LOG_WARN("listening on non-loopback address {} (--allow-remote): anyone who can reach it and has the "
                 "token can read the memory of the processes this server may trace; put TLS and a firewall "
                 "in front of it",
                 bound.to_string());
  }
  // Plain stdout, not the logger: this line is the machine-readable contract (tests and scripts
  // parse the port when --listen asked for port 0), and stdout may be a pipe, hence the flush.
  std::printf("dbgcoord listening on http://%s (data: %s)\n", bound.to_string().c_str(), data_dir.c_str());
  // The dashboard URL logs the browser in once (the page keeps the token for the tab and strips
  // it from the address bar). On stdout only, like the token file it comes from: never in the
  // log files. A wildcard listen address is not something a browser can open: loopback then.
  std::printf("dashboard: %s\n", dashboard_url(bound, token.token).c_str());
  std::fflush(stdout);

  std::vector<std::thread> io_threads;
  for (std::size_t i = 1; i < config.io_threads; ++i) {
    io_threads.emplace_back([&ioc, i] {
      std::string name = "dbg-io-" + std::to_string(i);
      pthread_setname_np(pthread_self(), name.c_str());
      ioc.run();
    });
  }
  ioc.run();
  for (auto& t : io_threads) t.join();
  blocking.join();
  // Everything acknowledged is already committed; flush what was queued after that.
  store->flush();
  DBG_LOG_INFO("stopped");
  return kExitOk;
}

}  // namespace dbg::coord
