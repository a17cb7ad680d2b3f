#pragma once
// LocationTable: every distinct pc a profile saw, symbolized once, when first seen (while its
// module is surely still mapped), into shared tables of modules and frames. A stack is then a
// short vector of location ids; exports (folded, speedscope, pprof) read the tables.
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include <elfutils/libdwfl.h>

#include "dbg/profile.hpp"
#include "worker/symbols/symbolizer.hpp"

namespace dbg::worker {

class LocationTable {
 public:
  LocationTable(Symbolizer& symbolizer, protocol::SourceMode source) : symbolizer_(symbolizer), source_(source) {}

  // The id of the location of pc (activation: frame 0 or a signal frame, see Symbolizer).
  uint32_t intern(Dwfl* dwfl, pid_t pid, uint64_t pc, bool activation);

  // Moves the tables into the profile (modules, frames, locations).
  void export_to(Profile& profile);
  CacheStats cache_stats() const { return stats_; }

 private:
  int module_of(Dwfl* dwfl, uint64_t pc);
  uint32_t frame_id(const Frame& f);

  Symbolizer& symbolizer_;
  protocol::SourceMode source_;
  CacheStats stats_;
  std::unordered_map<uint64_t, uint32_t> by_pc_;  // pc << 1 | activation
  std::vector<ProfileLocation> locations_;
  std::vector<Frame> frames_;
  std::map<std::string, uint32_t> frame_index_;
  std::vector<ProfileModule> modules_;
  std::map<std::pair<uint64_t, std::string>, int> module_index_;  // (start, path)
  std::vector<Frame> scratch_;
};

}  // namespace dbg::worker
