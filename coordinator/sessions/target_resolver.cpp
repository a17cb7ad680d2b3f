#include "coordinator/sessions/target_resolver.hpp"

#include <algorithm>
#include <set>

#include "coordinator/procfs/process_match.hpp"

namespace dbg::coord::sessions {

std::vector<ranking::RankedProcess> TargetResolver::ranked() {
  std::lock_guard lock(mutex_);
  return ranker_.sample_and_rank();
}

Result<std::vector<ResolvedTarget>> TargetResolver::resolve(const SessionRequest& request) {
  // Read only what the request is about: the listed pids, or the processes the regex keeps
  // (their comm and cmdline are read first, the rest only for those kept), or everything.
  std::function<std::vector<procfs::ProcessSample>()> read = [] { return procfs::read_all_processes(); };
  if (!request.pids.empty()) {
    read = [&] { return procfs::read_processes(request.pids); };
  } else if (request.match_regex) {
    read = [&] {
      return procfs::read_processes_where(
          [&](const procfs::ProcessSample& p) { return procfs::matches_comm_or_cmdline(*request.match_regex, p); });
    };
  }
  std::vector<ranking::RankedProcess> all;
  {
    std::lock_guard lock(mutex_);
    all = ranker_.sample_and_rank(read);
  }
  std::vector<ResolvedTarget> out;
  if (!request.pids.empty()) {
    // Every listed pid must exist and be permitted: a session is all or nothing, so that a typo
    // is refused instead of silently shrinking the session.
    std::set<int> wanted(request.pids.begin(), request.pids.end());
    std::set<int> found;
    for (const auto& p : all) {
      if (!wanted.count(p.process.pid)) continue;
      found.insert(p.process.pid);
    }
    for (int pid : request.pids) {
      if (!found.count(pid)) {
        // Not in the sample: maybe born after it; ask the policy, which reads /proc itself.
        auto d = policy_.check(pid);
        if (!d.allowed && d.code == "not_found") return Error{"not_found", "no process " + std::to_string(pid)};
        if (!d.allowed) return Error{"forbidden", "pid " + std::to_string(pid) + ": " + d.reason};
        out.push_back(ResolvedTarget{pid, "", 0});
      }
    }
    for (const auto& p : all) {
      if (!wanted.count(p.process.pid)) continue;
      auto d = policy_.check(p.process);
      if (!d.allowed) return Error{"forbidden", "pid " + std::to_string(p.process.pid) + ": " + d.reason};
      out.push_back(ResolvedTarget{p.process.pid, p.process.comm, p.score});
    }
    // `all` is in rank order; late-born pids (score 0) go last.
    std::stable_sort(out.begin(), out.end(), [](const ResolvedTarget& a, const ResolvedTarget& b) {
      return a.score != b.score ? a.score > b.score : a.pid < b.pid;
    });
    return out;
  }
  for (const auto& p : all) {
    if (request.match_regex) {
      if (!procfs::matches_comm_or_cmdline(*request.match_regex, p.process)) continue;
    }
    // Selections by regex or "all" skip what the policy refuses (pid 1, ourselves, workers,
    // kernel threads, other users): they were never asked for by name.
    if (!policy_.check(p.process).allowed) continue;
    out.push_back(ResolvedTarget{p.process.pid, p.process.comm, p.score});
  }
  if (out.empty()) return Error{"not_found", request.match ? "no permitted process matches \"" + *request.match + "\"" : "no permitted process"};
  return out;
}

}  // namespace dbg::coord::sessions
