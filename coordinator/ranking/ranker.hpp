#pragma once
// Ranks live processes by importance (table and reasons in score.hpp). CPU share and RSS growth
// are rates, so the ranker remembers each process's previous sample, keyed by pid *and* start
// time: a reused pid is a new process and does not inherit its predecessor's counters.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "coordinator/procfs/proc_reader.hpp"
#include "coordinator/ranking/rank_rule.hpp"
#include "coordinator/ranking/ranked_process.hpp"
#include "coordinator/ranking/score.hpp"

namespace dbg::coord::ranking {

// Rates measured over less than this are not trusted (utime/stime move in 10 ms ticks, so a
// 5 ms window reads 0 % or 200 %): a process seen again sooner keeps the rates of its last
// measurement and its baseline, so the next call measures over the longer window.
inline constexpr std::chrono::milliseconds kMinRateWindow{50};
// A remembered process not seen for this long is forgotten (it exited, or callers stopped
// asking about it); this bounds the memory to what the host runs.
inline constexpr std::chrono::seconds kForgetAfter{60};

// Thread-safe: rank() and sample_and_rank() may be called concurrently (the history is guarded by
// a mutex that is never held across the sampling sleep). Movable, not copyable.
class Ranker {
 public:
  explicit Ranker(std::vector<RankRule> rules = {});

  // Ranks `now` using the previous call's samples (kept per pid+start_time) for CPU share and RSS
  // growth over the elapsed time; processes seen for the first time get cpu_share 0 unless
  // `previous` older samples exist. Order: score descending, ties by pid ascending (deterministic).
  // Processes absent from `now` stay remembered (callers may rank a subset) until kForgetAfter.
  std::vector<RankedProcess> rank(const std::vector<procfs::ProcessSample>& now,
                                  std::chrono::steady_clock::time_point at);

  // Convenience: if the last sample is older than `max_age`, read /proc, wait `interval`, read again, then rank;
  // otherwise read once and rank against the last sample. Blocks for `interval` in the first
  // case: call it off the network threads.
  std::vector<RankedProcess> sample_and_rank(std::chrono::milliseconds interval = std::chrono::milliseconds(200),
                                             std::chrono::milliseconds max_age = std::chrono::seconds(5));
  // The same over the processes `read` returns (a subset: given pids, or those a regex keeps),
  // so a session does not read all of /proc to rank the few processes it is about.
  std::vector<RankedProcess> sample_and_rank(const std::function<std::vector<procfs::ProcessSample>()>& read,
                                             std::chrono::milliseconds interval = std::chrono::milliseconds(200),
                                             std::chrono::milliseconds max_age = std::chrono::seconds(5));

  const std::vector<RankRule>& rules() const { return rules_; }

 private:
  struct Baseline {
    std::uint64_t cpu_ticks = 0;  // utime + stime
    std::uint64_t rss_bytes = 0;
    int threads = 0;
    std::chrono::steady_clock::time_point at;         // when cpu_ticks/rss_bytes were read
    std::chrono::steady_clock::time_point last_seen;  // last rank() that included the process
    double cpu_share = 0;                             // the last measured rates
    std::int64_t rss_growth_bytes_per_s = 0;
  };
  struct History {
    std::mutex mutex;
    std::map<std::pair<int, std::uint64_t>, Baseline> by_process;  // (pid, start_time) ->
    std::optional<std::chrono::steady_clock::time_point> last_rank;
  };

  // Measures the rates of `sample` against its baseline and updates the baseline.
  void measure(History& history, const procfs::ProcessSample& sample, std::chrono::steady_clock::time_point at,
               RankedProcess& out) const;

  std::vector<RankRule> rules_;
  std::unique_ptr<History> history_;
};

}  // namespace dbg::coord::ranking
