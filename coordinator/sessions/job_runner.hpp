#pragma once
// JobRunner: how one target's job runs, one implementation per kind of job:
//   SnapshotRunner        a snapshot by a pool worker (snapshot_runner.hpp)
//   WatchedCaptureRunner  a snapshot by the crash watcher when it holds the pid, else the pool
//   ProfileRunner         a profile by a pool worker, within the shared sample budget
//   DetectRunner          the deadlock / busy-hang checks (coordinator/detect/detector.hpp)
// The scheduler picks the runner (Scheduler::State::runner_for), hands it the prepared job and
// a JobSink for the target, and keeps everything else: batches, statuses, storing, events.
//
// Thread-safety: start() on the scheduler's strand; runners call the sink on that strand only
// (they post their completions to it), so the sink needs no locking. A sink keeps the
// scheduler's state, which owns the runners, alive: a runner outlives every sink it was given.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/detect/detector.hpp"
#include "coordinator/pool/worker_pool.hpp"
#include "coordinator/sessions/session_request.hpp"
#include "dbg/error.hpp"
#include "dbg/profile.hpp"
#include "dbg/snapshot.hpp"

namespace dbg::coord::sessions {

// Where one target's outcome goes: exactly one of failed(), snapshot(), profile(), detected()
// ends the job; progress() may come before.
class JobSink {
 public:
  virtual ~JobSink() = default;
  // Whether the target still waits for its result (false once the coordinator's stop ended it).
  virtual bool running() const = 0;
  virtual void progress(const nlohmann::json& progress) = 0;  // a profile's progress line
  virtual void failed(Error error) = 0;
  virtual void snapshot(Snapshot snapshot) = 0;
  virtual void profile(Profile profile) = 0;
  virtual void detected(detect::DetectOutcome outcome) = 0;
};

// One target's job as the scheduler prepared it.
struct TargetJob {
  pool::Job job;                  // kind, pid, options (without deadline_ms), deadline
  const SessionRequest& request;  // the session's; valid during start() only
  size_t batch_targets = 1;       // targets dispatched together with this one
  std::string tag;                // unique per target: the name a cancellable job gets
};

// What a target ends with when its job finds no room in the pool's queue.
inline Error queue_full_error() { return Error{"queue_full", "the worker pool queue is full"}; }

class JobRunner {
 public:
  virtual ~JobRunner() = default;
  // False when the job could not be queued (the pool's queue is full): then the sink is never
  // called and the scheduler fails the target with "queue_full".
  virtual bool start(TargetJob job, std::shared_ptr<JobSink> sink) = 0;
};

}  // namespace dbg::coord::sessions
