#pragma once
// SnapshotRunner: a snapshot taken by a pool worker. The worker's text is parsed straight into a
// Snapshot on the scheduler's strand (dbg/snapshot_wire.hpp, no DOM); text that does not parse
// fails the target with "worker_protocol_error".
#include <boost/asio/any_io_executor.hpp>

#include "coordinator/pool/job_queue.hpp"
#include "coordinator/sessions/job_runner.hpp"

namespace dbg::coord::sessions {

class SnapshotRunner : public JobRunner {
 public:
  // `strand`: the scheduler's, where the sink is called.
  SnapshotRunner(boost::asio::any_io_executor strand, pool::JobQueue& pool) : strand_(std::move(strand)), pool_(pool) {}
  bool start(TargetJob job, std::shared_ptr<JobSink> sink) override;
  // The same for a job already taken out of its TargetJob (WatchedCaptureRunner's fallback).
  bool submit(pool::Job job, std::shared_ptr<JobSink> sink);

 private:
  boost::asio::any_io_executor strand_;
  pool::JobQueue& pool_;
};

}  // namespace dbg::coord::sessions
