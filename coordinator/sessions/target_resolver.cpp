#include "coordinator/sessions/target_resolver.hpp"

#include <algorithm>
#include <set>

#include "coordinator/procfs/process_match.hpp"

namespace dbg::coord::sessions {

Result<std::vector<ResolvedTarget>> TargetResolver::resolve_listed(const std::vector<int>& pids) {
  // Every listed pid must exist and be permitted: a session is all or nothing, so that a typo
  // is refused instead of silently shrinking the session.
  auto ranked = table_.ranker().rank(procfs::read_processes(pids), std::chrono::steady_clock::now());
  std::set<int> found;
  for (const auto& p : ranked) found.insert(p.process.pid);
  std::vector<ResolvedTarget> out;
  for (int pid : pids) {
    if (found.count(pid)) continue;
    // Not read: maybe a thread id, or gone; ask the policy, which reads /proc itself and says why.
    auto d = policy_.check(pid);
    if (!d.allowed && d.code == "not_found") return Error{"not_found", "no process " + std::to_string(pid)};
    if (!d.allowed) return Error{"forbidden", "pid " + std::to_string(pid) + ": " + d.reason};
    out.push_back(ResolvedTarget{pid, "", 0, 0});  // born between the two reads: no start time known
  }
  for (const auto& p : ranked) {
    auto d = policy_.check(p.process);
    if (!d.allowed) return Error{"forbidden", "pid " + std::to_string(p.process.pid) + ": " + d.reason};
    out.push_back(ResolvedTarget{p.process.pid, p.process.comm, p.score, p.process.start_time_ticks});
  }
  std::stable_sort(out.begin(), out.end(), [](const ResolvedTarget& a, const ResolvedTarget& b) {
    return a.score != b.score ? a.score > b.score : a.pid < b.pid;
  });
  return out;
}

Result<std::vector<ResolvedTarget>> TargetResolver::resolve(const SessionRequest& request) {
  if (!request.pids.empty()) return resolve_listed(request.pids);
  // Every process event queued before this request is in the version we read: a process
  // started just before the session is among its targets.
  auto snap = table_.current();
  std::vector<ResolvedTarget> out;
  for (const auto& e : snap->by_rank()) {
    const auto& p = e->ranked;
    if (request.match_regex && !procfs::matches_comm_or_cmdline(*request.match_regex, p.process)) continue;
    // Selections by regex or "all" skip what the policy refuses (pid 1, ourselves, workers,
    // kernel threads, other users): they were never asked for by name.
    if (!policy_.check(p.process).allowed) continue;
    out.push_back(ResolvedTarget{p.process.pid, p.process.comm, p.score, p.process.start_time_ticks});
  }
  if (out.empty()) return Error{"not_found", request.match ? "no permitted process matches \"" + *request.match + "\"" : "no permitted process"};
  return out;
}

}  // namespace dbg::coord::sessions
