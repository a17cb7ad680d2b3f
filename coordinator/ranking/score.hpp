#pragma once
// Importance score: how much a process deserves attention right now. Every point is explained by
// a term, so the dashboard can show *why* a process is on top and an operator can tune rules.
//
//   term          points                                               cap   detail example
//   state         D +40, T/t (stopped) +25, R +15, Z +5                 -     "D (uninterruptible sleep)"
//   cpu           50 per full CPU over the sampling interval           100   "1.50 CPUs"
//   rss           5 per doubling above 64 MiB: 5*log2(rss/64MiB)        30   "512.0 MiB resident"
//   rss_growth    above 1 MiB/s: 10*log2(growth/(1 MiB/s))              30   "+4.0 MiB/s"
//   threads       above 4 threads: 2*log2(threads/4)                    20   "64 threads"
//   rule:NAME     the rule's weight (may be negative), per matching rule -   "comm or cmdline matches rule db"
//   kernel_thread score 0, the only term (never traceable)             -     "not traceable"
//
// Why these weights: a D-state process is the classic hang and the reason people take
// snapshots, so it outranks a busy one; a stopped process is suspicious (a forgotten debugger, a
// SIGSTOP); zombies cannot be snapshotted but point at a parent that does not reap. Resource
// terms grow with the logarithm so that one huge process cannot push everything else out, and
// are capped so that state and user rules can still override them. Points are rounded to
// 0.01 so scores compare and print exactly; the result is a pure function of its inputs.
#include <cstdint>
#include <string>
#include <vector>

#include "coordinator/procfs/proc_reader.hpp"
#include "coordinator/ranking/rank_rule.hpp"

namespace dbg::coord::ranking {

struct ScoreTerm {
  std::string name;
  double points;
  std::string detail;
};  // e.g. {"state", 40, "D (uninterruptible sleep)"}

inline constexpr double kStateDPoints = 40;
inline constexpr double kStateStoppedPoints = 25;
inline constexpr double kStateRunningPoints = 15;
inline constexpr double kStateZombiePoints = 5;
inline constexpr double kCpuPointsPerCpu = 50;
inline constexpr double kCpuCap = 100;
inline constexpr std::uint64_t kRssFloorBytes = 64ull << 20;
inline constexpr double kRssPointsPerDoubling = 5;
inline constexpr double kRssCap = 30;
inline constexpr double kGrowthFloorBytesPerSecond = 1 << 20;
inline constexpr double kGrowthPointsPerDoubling = 10;
inline constexpr double kGrowthCap = 30;
inline constexpr int kThreadsFloor = 4;
inline constexpr double kThreadsPointsPerDoubling = 2;
inline constexpr double kThreadsCap = 20;

// The nonzero terms for one process, in table order (rules in their configured order).
std::vector<ScoreTerm> score_terms(const procfs::ProcessSample& process, double cpu_share,
                                   std::int64_t rss_growth_bytes_per_s, const std::vector<RankRule>& rules);

// Sum of the terms' points.
double total_points(const std::vector<ScoreTerm>& terms);

}  // namespace dbg::coord::ranking
