#pragma once
// TargetResolver: turns a session's target selector into ranked, permitted pids. "match" and
// "all" resolve from the process table (ranking/process_table.hpp: no /proc scan per session);
// listed pids are read from /proc, since a pid someone just typed must be judged as it is now,
// and ranked against the table's baselines. Each target carries its process's start time, which
// the scheduler checks again before the target's job goes out (pids are reused). Blocking (it
// may wait for the table to apply queued process events, and reads /proc for listed pids):
// call it off the network thread.
#include <string>
#include <vector>

#include "coordinator/policy/target_policy.hpp"
#include "coordinator/ranking/process_table.hpp"
#include "coordinator/sessions/session_request.hpp"
#include "coordinator/sessions/target_source.hpp"
#include "dbg/error.hpp"

namespace dbg::coord::sessions {

class TargetResolver : public TargetSource {
 public:
  TargetResolver(ranking::ProcessTable& table, const policy::TargetPolicy& policy) : table_(table), policy_(policy) {}

  // In rank order (score descending, ties by pid). Errors: "not_found" (unknown pid, or nothing
  // matches), "forbidden" (a listed pid the policy refuses; the message says why).
  Result<std::vector<ResolvedTarget>> resolve(const SessionRequest& request) override;
  ranking::ProcessTable& table() { return table_; }
  const policy::TargetPolicy& policy() const { return policy_; }

 private:
  Result<std::vector<ResolvedTarget>> resolve_listed(const std::vector<int>& pids);

  ranking::ProcessTable& table_;
  const policy::TargetPolicy& policy_;
};

}  // namespace dbg::coord::sessions
