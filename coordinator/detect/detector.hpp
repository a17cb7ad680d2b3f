#pragma once
// Detector: runs the deadlock and busy-hang checks on one process through the worker pool (the
// normal snapshot path) and turns findings into error events.
//  - deadlock: one `process`-consistency snapshot, then its wait-for graph (wait_graph.hpp);
//  - hang: `hang_snapshots` of them, `hang_interval_ms` apart, with per-thread CPU time read
//    before the first and after the last (busy_hang.hpp). With both, the deadlock check reads the
//    last snapshot.
// Where the snapshots come from: a process the crash watch holds is captured by the watcher
// (its threads are seized by it, a pool worker would get already_traced); any other process by
// the pool. The watcher answers "not_watched" for a pid it does not hold, and the run then asks
// the pool.
// Thread-safety: run() from any thread; each run lives on its own strand; `done` runs on it.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <nlohmann/json.hpp>

#include "coordinator/detect/detect_options.hpp"
#include "coordinator/detect/finding.hpp"
#include "coordinator/errors/error_event.hpp"
#include "dbg/error.hpp"
#include "dbg/snapshot.hpp"

namespace dbg::coord::pool {
class WorkerPool;
}

namespace dbg::coord::detect {

struct DetectOutcome {
  Snapshot snapshot;  // the last one taken: the one a session stores
  std::vector<Finding> findings;
  int snapshots = 0;
  bool from_watcher = false;  // the snapshots were taken by the crash watcher
};

// Captures pid with the crash watcher: a Snapshot, or Error "not_watched" (then the pool is
// asked), or the watcher's error. `done` may run on any thread.
using WatchedCapture = std::function<void(int pid, nlohmann::json options, std::chrono::milliseconds deadline,
                                          std::function<void(Result<Snapshot>)> done)>;

class Detector {
 public:
  using Done = std::function<void(Result<DetectOutcome>)>;
  // `blocking` runs the /proc reads (CPU samples); `io` the timers and the runs' strands.
  Detector(boost::asio::any_io_executor io, boost::asio::any_io_executor blocking, pool::WorkerPool& pool,
           errors::ErrorRecorder recorder);

  // pid's checks; `worker_options` are the snapshot options (detect_options.hpp worker_options()).
  // Errors: the worker's (process_gone, already_traced, ...), queue_full, worker_protocol_error.
  void run(int pid, const DetectOptions& options, nlohmann::json worker_options, std::chrono::milliseconds deadline,
           Done done);
  // Each finding becomes an error event (finding.hpp to_error_event) for the error groups.
  void report(const std::vector<Finding>& findings, int pid, const std::string& comm) const;
  // Set once at start, before any run() (app.cpp): the crash watcher's capture.
  void set_watched_capture(WatchedCapture capture) { watched_capture_ = std::move(capture); }

 private:
  struct Run;
  boost::asio::any_io_executor io_, blocking_;
  pool::WorkerPool& pool_;
  errors::ErrorRecorder recorder_;
  WatchedCapture watched_capture_;
};

}  // namespace dbg::coord::detect
