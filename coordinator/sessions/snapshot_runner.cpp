#include "coordinator/sessions/snapshot_runner.hpp"

#include <boost/asio/post.hpp>

#include "dbg/protocol.hpp"
#include "dbg/snapshot_wire.hpp"

namespace dbg::coord::sessions {

bool SnapshotRunner::start(TargetJob job, std::shared_ptr<JobSink> sink) { return submit(std::move(job.job), std::move(sink)); }

bool SnapshotRunner::submit(pool::Job job, std::shared_ptr<JobSink> sink) {
  return pool_.submit_raw(std::move(job), [strand = strand_, sink = std::move(sink)](Result<std::string> r) mutable {
    boost::asio::post(strand, [sink = std::move(sink), r = std::move(r)] {
      if (!r) return sink->failed(r.error());
      auto parsed = parse_snapshot_json(r.value(), protocol::kMaxJsonDepth);
      if (!parsed) return sink->failed(Error{"worker_protocol_error", parsed.error().message});
      sink->snapshot(std::move(parsed.value()));
    });
  });
}

}  // namespace dbg::coord::sessions
