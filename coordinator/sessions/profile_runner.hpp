#pragma once
// ProfileRunner: a profile sampled by a pool worker. Each job gets a sample budget: an equal
// share of what the running profiles leave free of --profile-memory-mb, among the batch's
// targets, never below the worker's minimum (kMinProfileBytes); so all profiles together stay
// within it (except when that many minimums would not fit). Its deadline covers the sampling
// plus the usual allowance for the answer. The job is tagged, so that a cancel stops it early
// (it then answers with what it collected).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "coordinator/pool/job_queue.hpp"
#include "coordinator/sessions/job_runner.hpp"

namespace dbg::coord::sessions {

class ProfileRunner : public JobRunner {
 public:
  using WatchedPids = std::function<void(std::function<void(std::vector<int>)>)>;
  ProfileRunner(boost::asio::any_io_executor strand, pool::JobQueue& pool, uint64_t memory_bytes)
      : strand_(std::move(strand)), pool_(pool), memory_bytes_(memory_bytes) {}
  // Set once at start: the pids the crash watch holds, so that already_traced says why.
  void set_watched_pids(WatchedPids pids) { watched_pids_ = std::move(pids); }
  // The job is submitted under `job.tag`, which Scheduler::cancel() names.
  bool start(TargetJob job, std::shared_ptr<JobSink> sink) override;
  uint64_t bytes_granted() const { return granted_; }

 private:
  uint64_t grant(size_t batch_targets);
  void release(uint64_t bytes) { granted_ -= std::min(granted_, bytes); }
  void finish(int pid, Result<nlohmann::json> result, const std::shared_ptr<JobSink>& sink);

  boost::asio::any_io_executor strand_;
  pool::JobQueue& pool_;
  uint64_t memory_bytes_;
  uint64_t granted_ = 0;  // sample budgets handed to running profile jobs (on the strand)
  WatchedPids watched_pids_;  // empty: a refused profile keeps the worker's words
};

}  // namespace dbg::coord::sessions
