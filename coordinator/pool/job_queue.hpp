#pragma once
// JobQueue: what the services that hand jobs to workers (the session scheduler) need of the
// worker pool, as an interface, so that they can be tested against a fake queue. WorkerPool
// (worker_pool.hpp) is the real one; its header describes the guarantees (bounded queue, one
// job per worker, deadlines, crash and heartbeat handling).
//
// Thread-safety: every call from any thread. `done` and progress callbacks may run on any
// thread (the pool's strand): callers post to their own executor before touching their state.
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dbg/error.hpp"

namespace dbg::coord::pool {

struct Job;  // worker_pool.hpp: kind, pid, options, deadline, progress callback, cancel tag

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
