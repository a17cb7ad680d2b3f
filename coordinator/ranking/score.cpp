#include "coordinator/ranking/score.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "coordinator/procfs/process_match.hpp"

namespace dbg::coord::ranking {

namespace {

double round2(double x) { return std::round(x * 100.0) / 100.0; }

std::string format(const char* fmt, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, value);
  return buf;
}

void add(std::vector<ScoreTerm>& terms, std::string name, double points, std::string detail) {
  points = round2(points);
  if (points != 0) terms.push_back(ScoreTerm{std::move(name), points, std::move(detail)});
}

// 0 at the floor, `per_doubling` more for each doubling above it, at most `cap`.
double log_points(double value, double floor, double per_doubling, double cap) {
  if (!(value > floor)) return 0;
  return std::min(cap, per_doubling * std::log2(value / floor));
}

void add_state(std::vector<ScoreTerm>& terms, char state) {
  switch (state) {
    case 'D': add(terms, "state", kStateDPoints, "D (uninterruptible sleep)"); break;
    case 'T': add(terms, "state", kStateStoppedPoints, "T (stopped)"); break;
    case 't': add(terms, "state", kStateStoppedPoints, "t (stopped by a tracer)"); break;
    case 'R': add(terms, "state", kStateRunningPoints, "R (running)"); break;
    case 'Z': add(terms, "state", kStateZombiePoints, "Z (zombie: exited, not reaped)"); break;
    default: break;
  }
}

}  // namespace

std::vector<ScoreTerm> score_terms(const procfs::ProcessSample& process, double cpu_share,
                                   std::int64_t rss_growth_bytes_per_s, const std::vector<RankRule>& rules) {
  std::vector<ScoreTerm> terms;
  if (process.kernel_thread) {
    terms.push_back(ScoreTerm{"kernel_thread", 0, "not traceable"});
    return terms;
  }
  add_state(terms, process.state);

  if (cpu_share > 0) {
    add(terms, "cpu", std::min(kCpuCap, kCpuPointsPerCpu * cpu_share), format("%.2f CPUs", cpu_share));
  }

  const double mib = 1024.0 * 1024.0;
  add(terms, "rss",
      log_points(static_cast<double>(process.rss_bytes), static_cast<double>(kRssFloorBytes), kRssPointsPerDoubling,
                 kRssCap),
      format("%.1f MiB resident", static_cast<double>(process.rss_bytes) / mib));

  add(terms, "rss_growth",
      log_points(static_cast<double>(rss_growth_bytes_per_s), kGrowthFloorBytesPerSecond, kGrowthPointsPerDoubling,
                 kGrowthCap),
      format("+%.1f MiB/s", static_cast<double>(rss_growth_bytes_per_s) / mib));

  add(terms, "threads",
      log_points(process.threads, kThreadsFloor, kThreadsPointsPerDoubling, kThreadsCap),
      std::to_string(process.threads) + " threads");

  for (const auto& rule : rules) {
    if (rule.weight == 0 || !procfs::matches_comm_or_cmdline(rule.pattern, process)) continue;
    add(terms, "rule:" + rule.name, rule.weight, "comm or cmdline matches rule " + rule.name);
  }
  return terms;
}

double total_points(const std::vector<ScoreTerm>& terms) {
  double sum = 0;
  for (const auto& t : terms) sum += t.points;
  return round2(sum);
}

}  // namespace dbg::coord::ranking
