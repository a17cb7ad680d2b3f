#include "coordinator/sessions/detect_runner.hpp"

#include <boost/asio/post.hpp>

namespace dbg::coord::sessions {

bool DetectRunner::start(TargetJob target, std::shared_ptr<JobSink> sink) {
  if (!detector_) {
    sink->failed(Error{"internal", "this server has no detector"});
    return true;
  }
  detector_->run(target.job.pid, *target.request.detect, detect::worker_options(target.request.options),
                 target.job.deadline, [strand = strand_, sink = std::move(sink)](Result<detect::DetectOutcome> r) mutable {
                   boost::asio::post(strand, [sink = std::move(sink), r = std::move(r)]() mutable {
                     if (!r) return sink->failed(r.error());
                     sink->detected(std::move(r.value()));
                   });
                 });
  return true;
}

}  // namespace dbg::coord::sessions
