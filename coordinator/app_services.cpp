#include "coordinator/app_services.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>

#include "coordinator/crash/crash_metrics.hpp"
#include "coordinator/logging/log.hpp"
#include "coordinator/store/snapshot_rows.hpp"

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

pool::PoolConfig pool_config(const Config& config, const std::string& worker) {
  pool::PoolConfig out;
  out.worker_executable = worker;
  out.max_workers = config.workers;
  return out;
}

policy::PolicyConfig policy_config(const Config& config) {
  policy::PolicyConfig out;
  out.allow_other_users = config.allow_other_users;
  return out;
}

analysis::AnalysisConfig analysis_config(const Config& config) {
  analysis::AnalysisConfig out;
  out.cache_entries = config.analysis_cache;
  out.model_file = config.model_file;
  return out;
}

archive::ArchiveConfig archive_config(const Config& config) {
  archive::ArchiveConfig out;
  out.after = std::chrono::seconds(config.archive_after_s);
  out.window = std::chrono::seconds(config.archive_window_s);
  out.interval = std::chrono::seconds(config.archive_interval_s);
  out.max_db_bytes = static_cast<uint64_t>(config.max_db_mb) << 20;
  return out;
}

budget::BudgetConfig budget_config(const Config& config) {
  budget::BudgetConfig out;
  out.limits.rss_bytes = static_cast<int64_t>(config.budget_rss_mb) << 20;
  out.limits.cpu_percent = config.budget_cpu_percent;
  return out;
}

// Stage 2 of the budget shrinks these caches to about a tenth (their truth is in SQLite, so
// only latency suffers); recovery gives them their usual size back.
budget::ShedActions shed_actions(errors::ErrorService& error_service, store::Store& store) {
  budget::ShedActions out;
  out.shrink_caches = [&error_service, &store](bool shrink) {
    const errors::ErrorServiceConfig usual;
    error_service.set_cache_capacity(shrink ? usual.cached_groups / 10 : usual.cached_groups,
                                     shrink ? usual.cached_stacks / 8 : usual.cached_stacks);
    store.set_known_stacks_capacity(shrink ? store::KnownStacks::kMaxEntries / 8 : store::KnownStacks::kMaxEntries);
  };
  return out;
}

crash::CrashCaptureConfig crash_config(const Config& config, const std::filesystem::path& data_dir,
                                       const std::string& worker) {
  crash::CrashCaptureConfig out;
  out.host = config.crash_capture_host;
  out.installer.worker = std::filesystem::absolute(worker).lexically_normal();
  out.installer.crash_dir = std::filesystem::absolute(config.crash_dir ? *config.crash_dir : data_dir / "crash").lexically_normal();
  out.installer.instance = std::filesystem::absolute(data_dir).lexically_normal().string();
  return out;
}

watch::WatchManagerConfig watch_config(const std::string& worker, ranking::ProcessTable& processes) {
  watch::WatchManagerConfig out;
  out.watcher_executable = worker;
  // The match watches' scans read the process table, not /proc.
  out.list_processes = [&processes] {
    auto snap = processes.current();
    std::vector<procfs::ProcessSample> all;
    all.reserve(snap->size());
    for (const auto& e : snap->by_rank()) all.push_back(e->ranked.process);
    return all;
  };
  return out;
}

ranking::ProcessTableConfig process_table_config(const Config& config) {
  ranking::ProcessTableConfig out;
  out.proc_events = config.proc_events;
  out.min_refresh = std::chrono::milliseconds(config.process_refresh_ms);
  return out;
}

sessions::SchedulerConfig scheduler_config(const Config& config) {
  sessions::SchedulerConfig out;
  out.batch_size = config.batch_size;
  out.max_pending_targets = config.max_queue;
  out.max_profile_duration_s = static_cast<double>(config.max_profile_duration_s);
  out.profile_memory_bytes = static_cast<uint64_t>(config.profile_memory_mb) << 20;
  return out;
}

}  // namespace

watch::WatchManagerConfig Services::core_hooks(watch::WatchManagerConfig out) {
  out.check_core = [this] { return crash.check(); };
  out.apply_core_watches = [this](std::vector<crash::CoreWatchSpec> specs) { return crash.set_core_watches(std::move(specs)); };
  out.record_stored = [this](errors::ErrorEvent e, std::function<void(Result<int64_t>)> done) {
    std::vector<errors::ErrorEvent> one;
    one.push_back(std::move(e));
    error_service.record_batch(std::move(one), [done = std::move(done)](Result<std::vector<int64_t>> r) {
      if (!r) return done(r.error());
      const int64_t group = r.value().empty() ? 0 : r.value().front();
      if (group == 0) crash::crash_metrics().reports_duplicate.inc();
      else crash::crash_metrics().reports_ingested.inc();
      done(group);
    });
  };
  out.crash_status = [this] { return crash.status(); };
  return out;
}

Services::Services(const Config& config, const std::filesystem::path& data_dir)
    : config(config),
      rules(load_rank_rules(config.rank_rules_file)),
      worker(worker_executable()),
      store(store::Store::open(data_dir / kDatabaseFile)),
      ioc(static_cast<int>(config.io_threads)),
      hub(std::make_shared<events::Hub>()),
      pool(ioc, pool_config(config, worker),
           [hub = hub](const pool::PoolEvent& e) {
             hub->publish("worker", e.type, {{"worker_pid", e.worker_pid}, {"reason", e.reason}});
           }),
      policy(policy_config(config), static_cast<int>(::getpid())),
      analysis(*store, analysis_config(config)),
      analysis_warmed((analysis.warm(), true)),
      fleet(config.fleet_db.empty() ? nullptr : std::make_unique<fleet::Fleet>(config, *store)),
      error_service(*store, hub, ioc.get_executor()),
      archiver(*store, hub, ioc.get_executor(), archive_config(config),
               [this](store::StatementCache& sql) { error_service.forget_cached_groups(sql); }),
      budget(ioc.get_executor(), budget_config(config), hub, shed_actions(error_service, *store)),
      processes(process_table_config(config), std::move(rules)),
      watches(ioc, blocking.get_executor(), core_hooks(watch_config(worker, processes)), policy, *store, *hub,
              [record = error_service.recorder()](errors::ErrorEvent e) {
                DBG_LOG_INFO("watch {} of {} ({}): {}: {}", e.kind, e.pid, e.comm, e.type, e.message);
                record(std::move(e));
              }),
      crash(crash_config(config, data_dir, worker), *hub),
      resolver(processes, policy),
      detector(ioc.get_executor(), blocking.get_executor(), pool, error_service.recorder()),
      watched_scan(
          ioc.get_executor(), std::chrono::seconds(config.detect_interval_s), detector,
          [this](std::function<void(std::vector<int>)> done) { watches.watched_pids(std::move(done)); },
          [hub = hub](int pid, const detect::Finding& f) {
            // Like a session's findings, without a session.
            hub->publish("detect", "finding",
                         {{"session_id", nullptr}, {"pid", pid}, {"kind", f.kind}, {"message", f.message}});
          }),
      scheduler(ioc.get_executor(), blocking.get_executor(), scheduler_config(config), pool, *store, *hub, resolver,
                &detector) {
  if (config.analysis_background) error_service.set_group_observer(analysis.observer());
  if (fleet) {
    error_service.set_batch_hook(fleet->batch_hook());
    fleet_tasks = std::make_unique<fleet::FleetTasks>(config.fleet_db, fleet->status().value("host", ""), scheduler,
                                                      *store);
  }
  crash.set_sink([this](crash::CoreReport report, crash::SpoolIngest::Done done) {
    watches.ingest_core_report(std::move(report), std::move(done));
  });
  // The watcher is a tracer like the workers: never a target.
  policy.set_worker_pids_provider([this] {
    auto pids = pool.worker_pids();
    if (int watcher = watches.watcher_pid(); watcher > 0) pids.push_back(watcher);
    return pids;
  });
  // Watched processes are captured by the watcher, which holds their threads: for the detector
  // and for plain snapshot sessions.
  const detect::WatchedCapture watched_capture = [this](int pid, nlohmann::json options,
                                                        std::chrono::milliseconds deadline,
                                                        std::function<void(Result<Snapshot>)> done) {
    watches.capture(pid, std::move(options), deadline, std::move(done));
  };
  detector.set_watched_capture(watched_capture);
  scheduler.set_watched_capture(watched_capture);
  scheduler.set_watched_pids([this](std::function<void(std::vector<int>)> done) { watches.watched_pids(std::move(done)); });
  scheduler.fail_interrupted_sessions();
}

}  // namespace dbg::coord
