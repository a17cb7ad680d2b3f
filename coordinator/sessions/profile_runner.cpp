#include "coordinator/sessions/profile_runner.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>

namespace dbg::coord::sessions {

uint64_t ProfileRunner::grant(size_t batch_targets) {
  uint64_t free = memory_bytes_ > granted_ ? memory_bytes_ - granted_ : 0;
  uint64_t bytes = std::max<uint64_t>(kMinProfileBytes, free / std::max<size_t>(batch_targets, 1));
  granted_ += bytes;
  return bytes;
}

bool ProfileRunner::start(TargetJob target, std::shared_ptr<JobSink> sink) {
  pool::Job job = std::move(target.job);
  const uint64_t granted = grant(target.batch_targets);
  job.options["max_bytes"] = granted;
  job.tag = std::move(target.tag);
  job.deadline += std::chrono::milliseconds(static_cast<int64_t>(target.request.profile_options.duration_s * 1000));
  job.on_progress = [strand = strand_, sink](const nlohmann::json& progress) {
    boost::asio::post(strand, [sink, progress] { sink->progress(progress); });
  };
  const int pid = job.pid;
  bool queued = pool_.submit(std::move(job), [this, strand = strand_, sink, granted, pid](Result<nlohmann::json> r) {
    boost::asio::post(strand, [this, sink, granted, pid, r = std::move(r)]() mutable {
      release(granted);
      finish(pid, std::move(r), sink);
    });
  });
  if (!queued) release(granted);
  return queued;
}

void ProfileRunner::finish(int pid, Result<nlohmann::json> result, const std::shared_ptr<JobSink>& sink) {
  // Only the ptrace sampler answers already_traced (perf_event_open needs no tracer, so a watched
  // process is profiled by perf like any other).
  if (!result && result.error().code == "already_traced" && watched_pids_) {
    // Our own crash watch may be the other tracer: then say so, and what to do instead.
    watched_pids_([strand = strand_, sink, pid, error = result.error()](std::vector<int> pids) mutable {
      boost::asio::post(strand, [sink, pid, error = std::move(error), pids = std::move(pids)]() mutable {
        if (std::find(pids.begin(), pids.end(), pid) != pids.end()) {
          error.message = "process " + std::to_string(pid) +
                          " is held by this server's crash watch (a thread has one tracer): the ptrace sampler "
                          "cannot profile it while watched; snapshots of it are taken by the watcher. Profile it "
                          "with sampler \"perf\" (or \"auto\"), which does not trace it, or remove the watch";
        }
        sink->failed(std::move(error));
      });
    });
    return;
  }
  if (!result) return sink->failed(result.error());
  Profile profile;
  try {
    profile = result.value().get<Profile>();
  } catch (const std::exception& e) {
    return sink->failed(Error{"worker_protocol_error", e.what()});
  }
  sink->profile(std::move(profile));
}

}  // namespace dbg::coord::sessions
