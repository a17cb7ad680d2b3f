#pragma once
// Scheduler: sessions from request to last stored snapshot. A session's targets are resolved and
// ranked (off the network thread), cut into batches of `batch_size` in rank order, and the
// batches are dispatched one after another to the worker pool. A target's result is
// acknowledged (session JSON, event) only after the store committed it. Every state change is
// an event on the hub: session created, batch dispatched, snapshot stored, job failed, batch
// done (with progress), session done/cancelled.
//
// Thread-safety: public calls from any thread; state on the scheduler's strand; `done`
// callbacks run on that strand.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <nlohmann/json.hpp>

#include "coordinator/detect/detector.hpp"
#include "coordinator/sessions/session.hpp"
#include "coordinator/sessions/session_request.hpp"
#include "dbg/error.hpp"

namespace dbg::coord {
namespace pool {
class JobQueue;
}
namespace store {
class Store;
}
namespace events {
class Hub;
}
namespace detect {
class Detector;
}
}  // namespace dbg::coord

namespace dbg::coord::sessions {

class TargetSource;

struct SchedulerConfig {
  size_t batch_size = 8;
  size_t max_pending_targets = 32768;  // across active sessions; beyond: "queue_full" (503); Config::max_queue
  size_t max_sessions_in_memory = 1000;
  double max_profile_duration_s = 300;         // a longer profile is refused (400)
  uint64_t profile_memory_bytes = 50ull << 20;  // sample budget shared by running profile jobs
};

class Scheduler {
 public:
  using JsonDone = std::function<void(Result<nlohmann::json>)>;
  // `blocking` runs /proc reads (resolution); `executor` is where the strand lives. `detector`
  // runs sessions with options.detect (without one they fail with "internal").
  Scheduler(boost::asio::any_io_executor executor, boost::asio::any_io_executor blocking, SchedulerConfig config,
            pool::JobQueue& pool, store::Store& store, events::Hub& hub, TargetSource& resolver,
            detect::Detector* detector = nullptr);
  ~Scheduler();

  // Set once at start, before any create() (app.cpp): the crash watcher's capture. A snapshot
  // target that a crash watch holds is captured by the watcher, on the threads it already has
  // (a pool worker cannot seize them and would answer already_traced); other targets go to the
  // pool. Such snapshots are `process`-consistent whatever was asked (the stronger guarantee).
  void set_watched_capture(detect::WatchedCapture capture);
  // Set once at start too: the pids the crash watch holds now. A profile of one of them fails
  // with already_traced (the watcher cannot sample it); with this the error says so.
  using WatchedPids = std::function<void(std::function<void(std::vector<int>)>)>;
  void set_watched_pids(WatchedPids pids);

  // Error codes: bad_request, not_found, forbidden, queue_full, internal.
  void create(SessionRequest request, JsonDone done);
  void get(std::string id, JsonDone done);             // not_found
  // The same as JSON text, written without building the tree (GET /api/v1/sessions/{id}: a
  // client polls a session over 10,000 targets, ~1.5 MB, several times a second).
  using TextDone = std::function<void(Result<std::string>)>;
  void get_text(std::string id, TextDone done);
  void list(size_t limit, JsonDone done);              // {"sessions":[…]} newest first
  void cancel(std::string id, JsonDone done);          // not_found, conflict (already finished)
  size_t pending_targets() const;
  // At start: sessions the store still has as queued or running were cut short by a stop or a
  // crash. They are marked failed (their unfinished targets "interrupted"), never resumed:
  // their pids may belong to other processes by now.
  void fail_interrupted_sessions();
  // At a stop (SIGTERM): refuses new sessions ("shutting_down", 503), ends every unfinished one
  // as failed (reason "the coordinator is stopping"; its queued and running targets failed with
  // "shutting_down") and calls `done` on the strand once those rows are committed. Without it a
  // clean stop would leave sessions "running" in the database until the next start.
  void shutdown(std::function<void()> done);

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace dbg::coord::sessions
