#include "coordinator/profiles/profile_filter.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace dbg::coord::profiles {

std::optional<Profile> only_thread(Profile p, int tid) {
  if (std::none_of(p.threads.begin(), p.threads.end(), [tid](const ProfileThread& t) { return t.tid == tid; }))
    return std::nullopt;
  std::vector<ProfileCount> kept;
  for (const auto& c : p.counts)
    if (p.threads[c.thread].tid == tid) kept.push_back(c);
  p.counts = std::move(kept);
  for (auto& t : p.threads)
    if (t.tid != tid) t.samples = 0;
  uint64_t total = 0;
  for (const auto& c : p.counts) total += c.samples;
  p.samples = total;
  return p;
}

}  // namespace dbg::coord::profiles
