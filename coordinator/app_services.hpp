#pragma once
// The coordinator's services, built from a Config. Members are declared, hence constructed, in
// dependency order and destroyed in reverse, so every service outlives whatever holds a
// reference to it (the error service outlives the watch manager that hands it events, the
// analysis outlives the error service's last observer call). Nothing runs until the io_context
// does (app.cpp). Included by app*.cpp only: it pulls in Asio.
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "coordinator/analysis/analysis_service.hpp"
#include "coordinator/archive/archiver.hpp"
#include "coordinator/budget/budget_monitor.hpp"
#include "coordinator/config.hpp"
#include "coordinator/crash/crash_capture.hpp"
#include "coordinator/detect/detector.hpp"
#include "coordinator/detect/watched_scan.hpp"
#include "coordinator/errors/error_service.hpp"
#include "coordinator/events/hub.hpp"
#include "coordinator/fleet/fleet.hpp"
#include "coordinator/fleet/fleet_tasks.hpp"
#include "coordinator/policy/target_policy.hpp"
#include "coordinator/pool/worker_pool.hpp"
#include "coordinator/ranking/process_table.hpp"
#include "coordinator/sessions/scheduler.hpp"
#include "coordinator/sessions/target_resolver.hpp"
#include "coordinator/store/store.hpp"
#include "coordinator/watch/watch_manager.hpp"

namespace dbg::coord {

struct Services {
  // Throws (std::runtime_error) for an unreadable --rank-rules file, a missing dbg-worker or a
  // database that does not open, before anything is started.
  Services(const Config& config, const std::filesystem::path& data_dir);
  Services(const Services&) = delete;
  Services& operator=(const Services&) = delete;

  const Config& config;
  std::vector<ranking::RankRule> rules;
  const std::string worker;  // dbg-worker's path
  // Migrates the database and owns its one writer thread.
  std::unique_ptr<store::Store> store;
  // One io_context, run by config.io_threads threads: HTTP sessions, the scheduler and the pool
  // live on strands of it, so handlers of one object never overlap. /proc reads (ranking, which
  // may wait for a CPU sample) run on `blocking`.
  boost::asio::io_context ioc;
  boost::asio::thread_pool blocking{1};
  std::shared_ptr<events::Hub> hub;
  pool::WorkerPool pool;
  policy::TargetPolicy policy;
  // The error analysis (classifier, pattern cache, similar groups) before the error service,
  // so it outlives the service's last observer call; warmed before the service exists.
  analysis::AnalysisService analysis;
  const bool analysis_warmed;
  // --fleet-db: the outbox and its publisher (null when not in a fleet). Before the error
  // service, whose batches write into the outbox until the service is gone.
  std::unique_ptr<fleet::Fleet> fleet;
  // Error groups: events from the API and from the crash watch; before the watch manager,
  // which hands it events until it is destroyed.
  errors::ErrorService error_service;
  // Old raw events folded into archives on a schedule (and on demand), then the size cap.
  archive::Archiver archiver;
  // The coordinator's own budget.
  budget::BudgetMonitor budget;
  // The host's processes, kept current in the background (ranking/process_table.hpp): read by
  // GET /api/v1/processes, session resolution and the match watches; before the watch
  // manager, whose scans read it. Started by app.cpp.
  ranking::ProcessTable processes;
  // Crash watches: one `dbg-worker watch` process for all of them; every crash and non-zero
  // exit becomes an event of the error groups.
  watch::WatchManager watches;
  // Core mode (coordinator/crash/): core_pattern, handler.json and the spool of crash reports.
  // After the watch manager, which it hands reports to: destroyed first, its spool thread
  // joined before the manager goes (the manager's hooks call it only while the io_context and
  // the blocking pool run, both stopped before any member is destroyed).
  crash::CrashCapture crash;
  sessions::TargetResolver resolver;
  // Deadlock / busy-hang checks (sessions with options.detect): snapshots through the pool,
  // findings into the error groups like crashes.
  detect::Detector detector;
  // --detect-interval: the deadlock check over the crash-watched processes, on a timer.
  detect::WatchedScan watched_scan;
  sessions::Scheduler scheduler;
  // --fleet-db: this host's tasks of fleet sessions, run through the scheduler above; after it,
  // so it is stopped (its thread joined) before the scheduler goes.
  std::unique_ptr<fleet::FleetTasks> fleet_tasks;

 private:
  // The watch manager's core-mode hooks (watch_manager.hpp), which call `crash` and
  // `error_service` once running.
  watch::WatchManagerConfig core_hooks(watch::WatchManagerConfig config);
};

}  // namespace dbg::coord
