#include <map>
#include <nlohmann/json.hpp>

#include "coordinator/profiles/profile_exports.hpp"

namespace dbg::coord::profiles {

nlohmann::json to_speedscope(const Profile& p, const std::string& name) {
  // speedscope frames are keyed by name and file: one node per function in its flame graph, as
  // in folded stacks (a line per frame would split a function by the line it was sampled at).
  nlohmann::json frames = nlohmann::json::array();
  std::map<std::pair<std::string, std::string>, size_t> frame_index;
  std::vector<size_t> speedscope_frame(p.frames.size());
  for (size_t i = 0; i < p.frames.size(); ++i) {
    const Frame& f = p.frames[i];
    std::string frame_name = profile_frame_name(f);
    std::string file = f.file.value_or("");
    auto [it, inserted] = frame_index.try_emplace({frame_name, file}, frames.size());
    if (inserted) {
      nlohmann::json fj = {{"name", frame_name}};
      if (!file.empty()) fj["file"] = file;
      frames.push_back(std::move(fj));
    }
    speedscope_frame[i] = it->second;
  }
  // Each stack once as speedscope frame indices, root first (speedscope's order).
  std::vector<std::vector<size_t>> stacks(p.stacks.size());
  for (size_t s = 0; s < p.stacks.size(); ++s) {
    for (auto loc = p.stacks[s].rbegin(); loc != p.stacks[s].rend(); ++loc) {
      const auto& fs = p.locations[*loc].frames;
      for (auto f = fs.rbegin(); f != fs.rend(); ++f) stacks[s].push_back(speedscope_frame[*f]);
    }
  }
  auto sampled = [&](const std::string& profile_name, auto&& include) {
    nlohmann::json samples = nlohmann::json::array(), weights = nlohmann::json::array();
    std::map<uint32_t, uint64_t> by_stack;  // merged over the included threads
    for (const auto& c : p.counts)
      if (include(c)) by_stack[c.stack] += c.samples;
    uint64_t total = 0;
    for (const auto& [stack, count] : by_stack) {
      if (count == 0) continue;
      samples.push_back(stacks[stack]);
      weights.push_back(count);
      total += count;
    }
    return nlohmann::json{{"type", "sampled"}, {"name", profile_name}, {"unit", "none"}, {"startValue", 0},
                          {"endValue", total},  {"samples", std::move(samples)}, {"weights", std::move(weights)}};
  };
  nlohmann::json profiles = nlohmann::json::array();
  profiles.push_back(sampled(p.comm + " (" + std::to_string(p.pid) + ") all threads", [](const ProfileCount&) { return true; }));
  for (uint32_t t = 0; t < p.threads.size(); ++t) {
    if (p.threads[t].samples == 0) continue;
    profiles.push_back(sampled(p.threads[t].name + " (" + std::to_string(p.threads[t].tid) + ")",
                               [t](const ProfileCount& c) { return c.thread == t; }));
  }
  return {{"$schema", "https://www.speedscope.app/file-format-schema.json"},
          {"shared", {{"frames", std::move(frames)}}},
          {"profiles", std::move(profiles)},
          {"name", name},
          {"activeProfileIndex", 0},
          {"exporter", "dbgcoord 0.1.0"}};
}

}  // namespace dbg::coord::profiles
