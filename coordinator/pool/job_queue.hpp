#pragma once
// JobQueue: what the services that hand jobs to workers (the session scheduler) need of the
// worker pool, as an interface, so that they can be tested against a fake queue. WorkerPool
// (worker_pool.hpp) is the real one; its header describes the guarantees (bounded queue, one
// job per worker, deadlines, crash and heartbeat handling).
//
// Thread-safety: every call from any thread. `done` and progress callbacks may run on any
// thread (the pool's strand): callers post to their own executor before touching their state.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dbg/error.hpp"

namespace dbg::coord::pool {

// One job for one worker.
struct Job {
  std::string kind = "snapshot";
  int pid = 0;
  nlohmann::json options = nlohmann::json::object();
  std::chrono::milliseconds deadline{30'000};
  // Long jobs (profiles) send progress lines; each one's "progress" object comes here, on the
  // pool's strand.
  std::function<void(const nlohmann::json&)> on_progress;
  // A name for cancel(); empty: not cancellable.
  std::string tag;
};

class JobQueue {
 public:
  using Done = std::function<void(Result<nlohmann::json>)>;
  // The worker's result as its JSON text, unparsed (for results parsed without a DOM).
  using RawDone = std::function<void(Result<std::string>)>;
  virtual ~JobQueue() = default;

  // Queues a job. Returns false (and never calls done) when the queue is full.
  virtual bool submit(Job job, Done done) = 0;
  virtual bool submit_raw(Job job, RawDone done) = 0;
  // Cancels the job submitted with this tag: a queued one fails with "cancelled"; a running
  // one is asked to stop early (a profile then answers with what it collected).
  virtual void cancel(std::string tag) = 0;
  // Pids of the live workers.
  virtual std::vector<int> worker_pids() const = 0;
};

}  // namespace dbg::coord::pool
