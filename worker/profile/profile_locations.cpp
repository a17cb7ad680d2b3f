#include "worker/profile/profile_locations.hpp"

#include <cstring>

namespace dbg::worker {

namespace {

std::string base_name(const char* path) {
  if (!path) return "?";
  const char* slash = std::strrchr(path, '/');
  return slash ? slash + 1 : path;
}

}  // namespace

int LocationTable::module_of(Dwfl* dwfl, uint64_t pc) {
  Dwfl_Module* mod = dwfl ? dwfl_addrmodule(dwfl, pc) : nullptr;
  if (!mod) return -1;
  Dwarf_Addr start = 0, end = 0;
  const char* name = dwfl_module_info(mod, nullptr, &start, &end, nullptr, nullptr, nullptr, nullptr);
  std::string path = name ? name : "?";
  auto [it, inserted] = module_index_.try_emplace({start, path}, static_cast<int>(modules_.size()));
  if (inserted) modules_.push_back(ProfileModule{base_name(name), path, module_build_id(mod), start, end});
  return it->second;
}

uint32_t LocationTable::frame_id(const Frame& f) {
  std::string key = f.function.value_or("") + '\0' + f.module + '\0' + std::to_string(f.offset) + '\0' + f.file.value_or("") +
                    '\0' + std::to_string(f.line.value_or(0)) + (f.inlined ? "i" : "");
  auto [it, inserted] = frame_index_.try_emplace(std::move(key), static_cast<uint32_t>(frames_.size()));
  if (inserted) {
    frames_.push_back(f);
    frames_.back().pc = 0;
  }
  return it->second;
}

uint32_t LocationTable::intern(Dwfl* dwfl, pid_t pid, uint64_t pc, bool activation) {
  uint64_t key = (pc << 1) | (activation ? 1 : 0);
  if (auto it = by_pc_.find(key); it != by_pc_.end()) return it->second;
  ProfileLocation loc;
  loc.pc = pc;
  loc.module = module_of(dwfl, pc);
  scratch_.clear();
  if (dwfl) symbolizer_.symbolize(dwfl, pid, pc, activation, source_, scratch_, stats_);
  for (const auto& f : scratch_) loc.frames.push_back(frame_id(f));
  uint32_t id = static_cast<uint32_t>(locations_.size());
  locations_.push_back(std::move(loc));
  by_pc_.emplace(key, id);
  return id;
}

void LocationTable::export_to(Profile& profile) {
  profile.modules = std::move(modules_);
  profile.frames = std::move(frames_);
  profile.locations = std::move(locations_);
}

}  // namespace dbg::worker
