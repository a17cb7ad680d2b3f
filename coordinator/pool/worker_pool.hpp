#pragma once
// WorkerPool: a bounded set of `dbg-worker serve` processes, reused across jobs, one job in
// flight per worker. Jobs wait in a bounded queue when every worker is busy. A worker that
// crashes or misses its job's deadline is killed (SIGKILL) and replaced on demand; its job
// fails with a reason ("worker_crashed", "deadline_exceeded"). Idle workers are pinged; one that
// does not answer in time is replaced ("heartbeat_missed").
//
// Thread-safety: every public call may come from any thread; state lives on the pool's strand
// and `done` callbacks run on it (callers post elsewhere if they need to).
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace boost::asio {
class io_context;
}
#include <nlohmann/json.hpp>

#include "coordinator/pool/job_queue.hpp"
#include "dbg/error.hpp"

namespace dbg::coord::pool {

struct PoolConfig {
  std::string worker_executable;  // path of dbg-worker
  size_t max_workers = 8;         // never more processes than this
  size_t max_queued_jobs = 4096;  // submit() refuses beyond this ("queue_full")
  std::chrono::milliseconds heartbeat_interval{10'000};
  std::chrono::milliseconds heartbeat_timeout{5'000};
};

// Events the pool reports (worker replaced etc.), for the live event hub and metrics.
struct PoolEvent {
  std::string type;  // "worker_started", "worker_replaced"
  pid_t worker_pid = 0;
  std::string reason;
};

struct PoolStats {
  size_t workers = 0, busy = 0, queued = 0;
  uint64_t jobs_done = 0, jobs_failed = 0, workers_started = 0, workers_replaced = 0;
};

class WorkerPool : public JobQueue {
 public:
  using Done = std::function<void(Result<nlohmann::json>)>;
  WorkerPool(boost::asio::io_context& ioc, PoolConfig config,
             std::function<void(const PoolEvent&)> on_event = nullptr);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues a job. Returns false (and never calls done) when the queue is full.
  bool submit(Job job, Done done) override;
  // Like submit, but a result reaches `done` as the worker's JSON text, unparsed: for results
  // the caller parses itself without building a DOM (snapshots, dbg/snapshot_wire.hpp).
  using RawDone = std::function<void(Result<std::string>)>;
  bool submit_raw(Job job, RawDone done) override;
  // Cancels the job submitted with this tag: a queued one fails with "cancelled" at once; a
  // running one is asked to stop early (a profile then answers with what it collected).
  void cancel(std::string tag) override;
  // How many more jobs submit() would accept right now (for all-or-nothing admission).
  size_t free_queue_slots() const;
  // Pids of the live workers (the target policy refuses them). Thread-safe snapshot.
  std::vector<int> worker_pids() const override;
  PoolStats stats() const;
  // Kills every worker and fails queued jobs with "shutting_down".
  void shutdown();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace dbg::coord::pool
