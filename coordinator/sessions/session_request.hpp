#pragma once
// Parses and validates the body of POST /api/v1/sessions. Nothing is resolved here (no /proc):
// only shape, types and ranges, so that bad input is refused before anything happens.
//   {"kind":"snapshot", "targets":{"pids":[…]} | {"match":"regex"} | {"all":true}, "options":{…}}
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/detect/detect_options.hpp"
#include "dbg/error.hpp"
#include "dbg/profile.hpp"
#include "dbg/protocol.hpp"

namespace dbg::coord::sessions {

struct SessionRequest {
  std::string kind = "snapshot";
  std::vector<int> pids;                 // targets.pids
  std::optional<std::string> match;      // targets.match (source text)
  std::optional<std::regex> match_regex;
  bool all = false;                      // targets.all
  nlohmann::json targets_spec;
  nlohmann::json options = nlohmann::json::object();  // validated snapshot options
  protocol::SnapshotOptions snapshot_options;
  ProfileOptions profile_options;         // kind "profile"
  int64_t deadline_ms = 30'000;          // per target job
  // options.detect (kind "snapshot"): run the deadlock / busy-hang checks on each target
  // (coordinator/detect/); its snapshots are taken with `process` consistency.
  std::optional<detect::DetectOptions> detect;
};

inline constexpr size_t kMaxPidsPerSession = 4096;
inline constexpr size_t kMaxMatchLength = 256;

// Error codes: "bad_request" (400). The configured longest profile is checked by the Scheduler.
Result<SessionRequest> parse_session_request(const std::string& body);

}  // namespace dbg::coord::sessions
