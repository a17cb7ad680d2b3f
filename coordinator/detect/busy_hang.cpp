#include "coordinator/detect/busy_hang.hpp"

#include <map>
#include <optional>
#include <string>

namespace dbg::coord::detect {

namespace {

// Voluntary context switches a spinning thread may show besides one per capture: a stop that
// was reported twice, a page fault served from disk.
constexpr uint64_t kStopsAllowance = 2;

// The stack as a sequence of functions; nullopt when the thread has no usable stack.
// Runnable threads only: a thread seen sleeping ('S', 'D', ...) in any snapshot is not spinning.
std::optional<std::vector<std::string>> stack_key(const ThreadStack& t) {
  if (t.error || t.frames.empty() || t.wait || t.state != 'R') return std::nullopt;
  std::vector<std::string> key;
  key.reserve(t.frames.size());
  for (const auto& f : t.frames) key.push_back(f.function ? *f.function : "?" + f.module);
  return key;
}

const ThreadStack* find_thread(const Snapshot& s, int tid) {
  for (const auto& t : s.threads) {
    if (t.tid == tid) return &t;
  }
  return nullptr;
}

}  // namespace

std::vector<Finding> find_busy_hangs(const std::vector<Snapshot>& snapshots, const CpuSample& first,
                                     const CpuSample& last, double min_cpu_share) {
  if (snapshots.size() < 2) return {};
  Finding f;
  f.kind = "hang";
  f.snapshots = static_cast<int>(snapshots.size());
  const Snapshot& latest = snapshots.back();
  for (const auto& t : latest.threads) {
    auto key = stack_key(t);
    if (!key) continue;
    bool same = true;
    for (size_t i = 0; i + 1 < snapshots.size() && same; ++i) {
      const ThreadStack* earlier = find_thread(snapshots[i], t.tid);
      same = earlier && stack_key(*earlier) == key;
    }
    if (!same || cpu_share(first, last, t.tid) < min_cpu_share) continue;
    // Two or three looks at a busy thread can land in the same function by chance (a worker
    // that takes a contended mutex in a loop). A spinning thread never sleeps by itself; a
    // busy one blocks now and then. Each capture's ptrace stop counts as one voluntary switch,
    // hence the allowance.
    auto slept = voluntary_switches_between(first, last, t.tid);
    if (slept && *slept > snapshots.size() + kStopsAllowance) continue;
    f.threads.push_back(FindingThread{t.tid, t.name, t.state, std::nullopt, std::nullopt, t.frames,
                                      first_frame_outside_libc(t.frames)});
  }
  if (f.threads.empty()) return {};
  const auto& where = f.threads.front().where;
  std::string function = where && where->function ? *where->function : (where ? where->module : "libc");
  size_t n = f.threads.size();
  f.message = "busy hang: " + std::to_string(n) + (n == 1 ? " thread" : " threads") + " spinning in " + function +
              " for " + std::to_string(f.snapshots) + " snapshots";
  return {std::move(f)};
}

}  // namespace dbg::coord::detect
