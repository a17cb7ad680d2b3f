#include "coordinator/sessions/watched_capture_runner.hpp"

#include <boost/asio/post.hpp>

namespace dbg::coord::sessions {

bool WatchedCaptureRunner::start(TargetJob target, std::shared_ptr<JobSink> sink) {
  nlohmann::json options = target.job.options;
  options["consistency"] = "process";
  const int pid = target.job.pid;
  const auto deadline = target.job.deadline;
  capture_(pid, std::move(options), deadline,
           [this, strand = strand_, sink = std::move(sink), job = std::move(target.job)](Result<Snapshot> r) mutable {
             boost::asio::post(strand, [this, sink = std::move(sink), job = std::move(job), r = std::move(r)]() mutable {
               if (!r && r.error().code == "not_watched") {
                 // Ended by the stop meanwhile: the target keeps the stop's error (a failed
                 // target's first error stands), and no worker is asked.
                 if (!sink->running()) return sink->failed(r.error());
                 if (!pool_runner_.submit(std::move(job), sink)) sink->failed(queue_full_error());
                 return;
               }
               if (!r) return sink->failed(r.error());
               sink->snapshot(std::move(r.value()));
             });
           });
  return true;
}

}  // namespace dbg::coord::sessions
