#pragma once
// DetectRunner: a session with options.detect runs the deadlock / busy-hang checks on each
// target (coordinator/detect/detector.hpp), which take their snapshot(s) through the pool or the
// crash watcher and hand back the last one with the findings. Without a detector the target
// fails with "internal".
#include <boost/asio/any_io_executor.hpp>

#include "coordinator/sessions/job_runner.hpp"

namespace dbg::coord::sessions {

class DetectRunner : public JobRunner {
 public:
  DetectRunner(boost::asio::any_io_executor strand, detect::Detector* detector)
      : strand_(std::move(strand)), detector_(detector) {}
  bool start(TargetJob job, std::shared_ptr<JobSink> sink) override;

 private:
  boost::asio::any_io_executor strand_;
  detect::Detector* detector_;
};

}  // namespace dbg::coord::sessions
