#include "coordinator/ranking/ranker.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <thread>

namespace dbg::coord::ranking {

namespace {

double clock_ticks_per_second() {
  static const double ticks = [] {
    long t = ::sysconf(_SC_CLK_TCK);
    return t > 0 ? static_cast<double>(t) : 100.0;
  }();
  return ticks;
}

}  // namespace

Ranker::Ranker(std::vector<RankRule> rules) : rules_(std::move(rules)), history_(std::make_unique<History>()) {}

void Ranker::measure(History& history, const procfs::ProcessSample& sample, std::chrono::steady_clock::time_point at,
                     RankedProcess& out) const {
  const std::uint64_t ticks = sample.utime_ticks + sample.stime_ticks;
  auto [it, inserted] = history.by_process.try_emplace({sample.pid, sample.start_time_ticks});
  Baseline& base = it->second;
  base.last_seen = std::max(base.last_seen, at);
  if (inserted) {
    base.cpu_ticks = ticks;
    base.rss_bytes = sample.rss_bytes;
    base.threads = sample.threads;
    base.at = at;
    return;  // first sight: no rate yet
  }
  const std::chrono::duration<double> elapsed = at - base.at;
  if (elapsed < kMinRateWindow) {
    out.cpu_share = base.cpu_share;
    out.rss_growth_bytes_per_s = base.rss_growth_bytes_per_s;
    return;
  }
  const double seconds = elapsed.count();
  // Counters never go backwards for one (pid, start_time); if they seem to, the safe reading
  // is "no activity".
  double cpu_seconds = ticks >= base.cpu_ticks ? static_cast<double>(ticks - base.cpu_ticks) / clock_ticks_per_second() : 0;
  double share = cpu_seconds / seconds;
  // Tick accounting can overshoot slightly at window edges; more than one CPU per thread is
  // impossible, so clamp to the larger thread count seen in the window.
  const double max_share = std::max({1, base.threads, sample.threads});
  share = std::clamp(share, 0.0, max_share);
  share = std::round(share * 10000.0) / 10000.0;

  const double rss_delta = static_cast<double>(sample.rss_bytes) - static_cast<double>(base.rss_bytes);
  const auto growth = static_cast<std::int64_t>(std::llround(rss_delta / seconds));

  out.cpu_share = share;
  out.rss_growth_bytes_per_s = growth;
  base.cpu_ticks = ticks;
  base.rss_bytes = sample.rss_bytes;
  base.threads = sample.threads;
  base.at = at;
  base.cpu_share = share;
  base.rss_growth_bytes_per_s = growth;
}

std::vector<RankedProcess> Ranker::rank(const std::vector<procfs::ProcessSample>& now,
                                        std::chrono::steady_clock::time_point at) {
  std::vector<RankedProcess> out;
  out.reserve(now.size());
  {
    std::lock_guard lock(history_->mutex);
    for (const auto& sample : now) {
      RankedProcess ranked;
      ranked.process = sample;
      if (!sample.kernel_thread) measure(*history_, sample, at, ranked);
      out.push_back(std::move(ranked));
    }
    std::erase_if(history_->by_process, [&](const auto& entry) { return at - entry.second.last_seen > kForgetAfter; });
    if (!history_->last_rank || at > *history_->last_rank) history_->last_rank = at;
  }

  // Scoring runs the rules' regexes: outside the lock, it only reads immutable state.
  for (auto& ranked : out) {
    ranked.terms = score_terms(ranked.process, ranked.cpu_share, ranked.rss_growth_bytes_per_s, rules_);
    ranked.score = total_points(ranked.terms);
  }
  std::sort(out.begin(), out.end(), [](const RankedProcess& a, const RankedProcess& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.process.pid < b.process.pid;
  });
  return out;
}

std::vector<RankedProcess> Ranker::sample_and_rank(std::chrono::milliseconds interval,
                                                   std::chrono::milliseconds max_age) {
  return sample_and_rank([] { return procfs::read_all_processes(); }, interval, max_age);
}

std::vector<RankedProcess> Ranker::sample_and_rank(const std::function<std::vector<procfs::ProcessSample>()>& read,
                                                   std::chrono::milliseconds interval,
                                                   std::chrono::milliseconds max_age) {
  std::optional<std::chrono::steady_clock::time_point> last;
  {
    std::lock_guard lock(history_->mutex);
    last = history_->last_rank;
  }
  auto start = std::chrono::steady_clock::now();
  if (!last || start - *last > max_age) {
    rank(read(), start);
    std::this_thread::sleep_for(interval);
  }
  // Both reads are stamped with the time they started: each process is then read at about the
  // same offset into both, so the offsets cancel out of the elapsed time.
  auto at = std::chrono::steady_clock::now();
  return rank(read(), at);
}

}  // namespace dbg::coord::ranking
