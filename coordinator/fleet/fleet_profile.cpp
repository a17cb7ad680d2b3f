#include "coordinator/fleet/fleet_profile.hpp"

#include <unordered_map>

namespace dbg::coord::fleet {

Profile merged_profile(const MergedStacks& stacks, const std::string& name) {
  Profile p;
  p.comm = name;
  p.sampler = "fleet";
  std::unordered_map<std::string, uint32_t> frame_of, thread_of;
  for (const auto& [stack, hosts] : stacks) {
    std::vector<uint32_t> locations;  // root first while reading; stored innermost first
    std::size_t start = 0;
    while (start <= stack.size()) {
      std::size_t end = stack.find(';', start);
      if (end == std::string::npos) end = stack.size();
      std::string frame = stack.substr(start, end - start);
      start = end + 1;
      auto [it, fresh] = frame_of.try_emplace(frame, static_cast<uint32_t>(p.frames.size()));
      if (fresh) {
        Frame f;
        f.function = frame;
        f.module = "?";
        p.frames.push_back(std::move(f));
        ProfileLocation loc;
        loc.frames = {it->second};
        p.locations.push_back(std::move(loc));
      }
      locations.push_back(it->second);  // one location per frame, same index
      if (end == stack.size()) break;
    }
    std::reverse(locations.begin(), locations.end());
    const auto stack_index = static_cast<uint32_t>(p.stacks.size());
    p.stacks.push_back(std::move(locations));
    for (const auto& [host, count] : hosts) {
      auto [t, fresh] = thread_of.try_emplace(host, static_cast<uint32_t>(p.threads.size()));
      if (fresh) p.threads.push_back(ProfileThread{static_cast<int>(p.threads.size() + 1), host, 0});
      p.threads[t->second].samples += static_cast<uint64_t>(count);
      p.counts.push_back(ProfileCount{t->second, stack_index, static_cast<uint64_t>(count), 0});
      p.samples += static_cast<uint64_t>(count);
    }
  }
  return p;
}

}  // namespace dbg::coord::fleet
