#pragma once
// WatchedCaptureRunner: a snapshot of a pid the crash watch holds is taken by the watcher, on
// the threads it already has (a pool worker cannot seize them and would answer
// already_traced). The watcher answers "not_watched" at once for any other pid, which then goes
// to the pool like any other (SnapshotRunner). Such snapshots are `process`-consistent whatever
// was asked: the watcher stops every thread at one instant (the stronger guarantee).
#include <boost/asio/any_io_executor.hpp>

#include "coordinator/detect/detector.hpp"
#include "coordinator/sessions/job_runner.hpp"
#include "coordinator/sessions/snapshot_runner.hpp"

namespace dbg::coord::sessions {

class WatchedCaptureRunner : public JobRunner {
 public:
  WatchedCaptureRunner(boost::asio::any_io_executor strand, SnapshotRunner& pool_runner)
      : strand_(std::move(strand)), pool_runner_(pool_runner) {}
  // Set once at start (Scheduler::set_watched_capture); empty: this runner is not used.
  void set_capture(detect::WatchedCapture capture) { capture_ = std::move(capture); }
  bool has_capture() const { return static_cast<bool>(capture_); }
  bool start(TargetJob job, std::shared_ptr<JobSink> sink) override;

 private:
  boost::asio::any_io_executor strand_;
  SnapshotRunner& pool_runner_;
  detect::WatchedCapture capture_;
};

}  // namespace dbg::coord::sessions
