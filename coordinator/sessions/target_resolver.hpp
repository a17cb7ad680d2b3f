#pragma once
// TargetResolver: turns a session's target selector into ranked, permitted pids. Reads /proc
// (blocking, up to the ranker's sampling interval): call it off the network thread.
#include <mutex>
#include <string>
#include <vector>

#include "coordinator/policy/target_policy.hpp"
#include "coordinator/ranking/ranker.hpp"
#include "coordinator/sessions/session_request.hpp"
#include "coordinator/sessions/target_source.hpp"
#include "dbg/error.hpp"

namespace dbg::coord::sessions {

class TargetResolver : public TargetSource {
 public:
  TargetResolver(ranking::Ranker& ranker, const policy::TargetPolicy& policy) : ranker_(ranker), policy_(policy) {}

  // In rank order (score descending, ties by pid). Errors: "not_found" (unknown pid, or nothing
  // matches), "forbidden" (a listed pid the policy refuses; the message says why).
  Result<std::vector<ResolvedTarget>> resolve(const SessionRequest& request) override;
  // Every live process, ranked (GET /api/v1/processes).
  std::vector<ranking::RankedProcess> ranked();
  const policy::TargetPolicy& policy() const { return policy_; }

 private:
  std::mutex mutex_;  // the ranker keeps the previous sample: one caller at a time
  ranking::Ranker& ranker_;
  const policy::TargetPolicy& policy_;
};

}  // namespace dbg::coord::sessions
