#pragma once
// A fleet session's merged stacks as a Profile (dbg/profile.hpp), so the exporters local
// profiles use (speedscope, pprof: coordinator/profiles/profile_exports.hpp) serve it too: one
// "thread" per host, one sample count per (host, stack). Frames carry names only: the hosts'
// addresses and modules do not merge across machines.
#include <map>
#include <string>

#include "dbg/profile.hpp"

namespace dbg::coord::fleet {

// stack ("root;...;leaf") -> host -> count.
using MergedStacks = std::map<std::string, std::map<std::string, int64_t>>;

Profile merged_profile(const MergedStacks& stacks, const std::string& name);

}  // namespace dbg::coord::fleet
