#pragma once
// WatchManager: crash watches (POST/GET/DELETE /api/v1/watches). Owns one `dbg-worker watch`
// process (a pool::WorkerProcess in mode `watch`) that holds every watched process at once, so watches never take
// workers from the snapshot pool.
//
//  - A pid watch lasts until its process ends; a match watch (regex over comm and cmdline)
//    lasts until deleted and attaches to every matching process, those running now and those
//    appearing later (/proc is scanned every 500 ms).
//  - The target policy decides before any pid reaches the watcher.
//  - The watcher is started with the first watched process (no watches, no watcher process).
//    Its dying is survived: a new one is started and every attached pid re-added (re-seized);
//    the event "watcher_restarted" says how many.
//  - Watches are persisted (migrations/0004_watches.sql) and resumed at start: a pid watch only
//    if the same process (pid and start time) still runs.
//  - Core-mode watches ({"mode":"core"}) attach nothing: the kernel runs our crash handler
//    (coordinator/crash/), told about them through apply_core_watches whenever their list
//    changes; its reports come back through ingest_core_report and count like ptrace crashes.
//  - Each crash and non-zero exit becomes an errors::ErrorEvent handed to the recorder, and an
//    event on the hub (topic "watch": watch_created, watch_attached, crash, exit, watch_ended,
//    watch_deleted, watcher_restarted).
// All state lives on one strand; the public calls may come from any thread and answer through
// their callback (on the strand, or on the store's thread for nothing: always the strand).
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <nlohmann/json.hpp>

#include "coordinator/crash/crash_report.hpp"
#include "coordinator/crash/handler_json.hpp"
#include "coordinator/errors/error_event.hpp"
#include "coordinator/procfs/proc_reader.hpp"
#include "coordinator/watch/watch_request.hpp"
#include "dbg/error.hpp"
#include "dbg/snapshot.hpp"

namespace boost::asio {
class io_context;
}

namespace dbg::coord {
namespace policy {
class TargetPolicy;
}
namespace store {
class Store;
}
namespace events {
class Hub;
}
}  // namespace dbg::coord

namespace dbg::coord::watch {

struct WatchManagerConfig {
  std::string watcher_executable;  // dbg-worker
  int scan_interval_ms = 500;      // match watches see a new process within this (+ the scan)
  int restart_delay_ms = 200;      // between a watcher's death and its replacement
  // Where the match scans find processes (called on the blocking pool): the coordinator's
  // process table; unset, /proc is read at each scan.
  std::function<std::vector<procfs::ProcessSample>()> list_processes;

  // Core mode (coordinator/crash/crash_capture.hpp); unset: core watches are refused (403).
  // Called on the blocking pool. check_core: would installing work (forbidden, conflict)?
  // apply_core_watches: the core watches now (installs, rewrites handler.json, uninstalls).
  std::function<Result<void>()> check_core;
  std::function<Result<void>(std::vector<crash::CoreWatchSpec>)> apply_core_watches;
  // A core report's event, stored; done(group id, 0 when its ingest key was known already) after
  // COMMIT, or the store's error. Unset: the recorder, and done(1) at once.
  std::function<void(errors::ErrorEvent, std::function<void(Result<int64_t>)>)> record_stored;
  // Added to GET /api/v1/watches as "crash_capture" (CrashCapture::status).
  std::function<nlohmann::json()> crash_status;
};

class WatchManager {
 public:
  using JsonDone = std::function<void(Result<nlohmann::json>)>;

  WatchManager(boost::asio::io_context& ioc, boost::asio::any_io_executor blocking, WatchManagerConfig config,
               const policy::TargetPolicy& policy, store::Store& store, events::Hub& hub,
               errors::ErrorRecorder recorder);
  ~WatchManager();
  WatchManager(const WatchManager&) = delete;
  WatchManager& operator=(const WatchManager&) = delete;

  // Resumes persisted watches (starting the watcher if one has a process) and the /proc scans.
  void start();
  // Kills the watcher (the kernel releases its targets, running) and stops the scans. Any
  // thread (it runs on the strand).
  void stop();

  // 201-shaped watch JSON, or Error: bad_request, not_found (no such process), forbidden
  // (policy, or the process is traced by someone else), conflict (already watched).
  void create(WatchRequest request, JsonDone done);
  void list(std::function<void(nlohmann::json)> done);
  void get(std::string id, JsonDone done);    // not_found
  void remove(std::string id, JsonDone done);  // not_found

  // The pids attached now (of every active watch), ascending; for the scheduled deadlock check
  // (--detect-interval). done runs on the manager's strand.
  void watched_pids(std::function<void(std::vector<int>)> done);

  // A `process`-consistency snapshot of pid taken by the watcher on the threads it holds (a
  // pool worker cannot seize them): for the deadlock and busy-hang checks (detect/detector.hpp).
  // options: the snapshot options of a job (max_depth, stack_bytes, source). Error
  // "not_watched" when no active watch holds pid now (the caller asks the pool instead); else
  // the watcher's error (process_gone, bad_request), "watcher_crashed", or "deadline" when no
  // answer came in time. done runs on the manager's strand.
  void capture(int pid, nlohmann::json options, std::chrono::milliseconds deadline,
               std::function<void(Result<Snapshot>)> done);

  // A core-mode crash report (coordinator/crash/spool_ingest.hpp): stored as an error event,
  // then counted in its watch and published ("crash" on topic "watch") unless its key was
  // stored before. done(stored) on any thread; false: not stored, the spool retries.
  void ingest_core_report(crash::CoreReport report, std::function<void(bool)> done);

  // The watcher's pid (0 while none runs). Thread-safe: the target policy asks it.
  int watcher_pid() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace dbg::coord::watch
