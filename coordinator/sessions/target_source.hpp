#pragma once
// TargetSource: where a session's targets come from, in rank order. TargetResolver
// (target_resolver.hpp) reads the process table; the scheduler's tests use a fixed list.
#include <cstdint>
#include <string>
#include <vector>

#include "coordinator/sessions/session_request.hpp"
#include "dbg/error.hpp"

namespace dbg::coord::sessions {

struct ResolvedTarget {
  int pid = 0;
  std::string comm;
  double score = 0;
  // The process's start time (clock ticks since boot) when it was resolved; 0 when unknown.
  // Checked again before the target's job is dispatched: a pid reused since then is refused.
  std::uint64_t start_time = 0;
};

class TargetSource {
 public:
  virtual ~TargetSource() = default;
  // Blocking (may read /proc): the scheduler calls it on its `blocking` executor.
  virtual Result<std::vector<ResolvedTarget>> resolve(const SessionRequest& request) = 0;
};

}  // namespace dbg::coord::sessions
