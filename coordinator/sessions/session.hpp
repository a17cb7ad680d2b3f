#pragma once
// The session model: a request to snapshot a set of targets, cut into ranked batches. Its JSON is
// the API's contract (DESIGN.md): {"id","kind","status","batches":[{"index","status",
// "targets":[{"pid","score","status","snapshot_id","error"}]}],"total_ms",…}.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/metrics/session_debug.hpp"
#include "coordinator/sessions/status.hpp"
#include "dbg/error.hpp"

namespace dbg::coord::sessions {

struct SessionTarget {
  int pid = 0;
  std::string comm;
  double score = 0;
  TargetStatus status = TargetStatus::queued;
  // The process's start time when the session was resolved (0: unknown, not checked): the
  // target is refused ("pid_reused") if its pid names another process when its batch goes out.
  std::uint64_t start_time = 0;
  std::optional<int64_t> snapshot_id;
  std::optional<Error> error;
  std::optional<int64_t> profile_id;  // kind "profile"
  nlohmann::json progress;            // kind "profile": the worker's last progress, null before
  // options.detect: what the detector found (detect/finding.hpp to_json), [] when nothing;
  // null until the checks ran.
  nlohmann::json findings;
};

struct SessionBatch {
  int index = 0;
  BatchStatus status = BatchStatus::queued;
  std::vector<SessionTarget> targets;
  std::optional<double> elapsed_ms;  // dispatch -> last target finished
};

struct Session {
  std::string id;
  std::string kind = "snapshot";
  SessionStatus status = SessionStatus::queued;
  nlohmann::json targets_spec;    // as requested
  nlohmann::json options = nlohmann::json::object();
  std::vector<SessionBatch> batches;
  int64_t created_at_ms = 0;
  std::optional<int64_t> finished_at_ms;
  std::optional<double> total_ms;
  std::optional<std::string> reason;  // why the session failed or was cancelled
  metrics::SessionDebug debug;        // served as "debug" (metrics/session_debug.hpp)

  size_t target_count() const;
  size_t count_with_status(TargetStatus status) const;
  bool finished() const { return !unfinished(status); }
};

nlohmann::json to_json(const Session& s);
// The same JSON as text, protocol::dump(to_json(s)) byte for byte, written without the whole tree: at
// 10,000 targets the tree is ~7 MB of small allocations for ~1.5 MB of text, and the session is
// written out every second (persist) and at every GET while it runs. `shown_status` replaces
// "status" (a session whose end is not committed yet is shown running).
std::string to_json_text(const Session& s, std::optional<SessionStatus> shown_status = std::nullopt);

}  // namespace dbg::coord::sessions
