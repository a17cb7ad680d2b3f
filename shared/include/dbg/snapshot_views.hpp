#pragma once
// Derived views of one Snapshot, computed on demand (never stored): identical stacks folded
// together, poor man's profiler style. A process with 200 threads parked in the same
// epoll_wait reads as one group of 200, and the odd thread out stands out.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "dbg/snapshot.hpp"

namespace dbg {

// Threads whose frames are identical by function + module + offset (pc is ignored: ASLR moves
// it between processes, the ELF offset does not). tids ascending, names parallel to tids; frames
// are those of the lowest tid. Threads that failed with an error and have no frames are grouped
// by error code (frames then empty).
struct StackGroup {
  std::vector<int> tids;
  std::vector<std::string> names;
  std::vector<Frame> frames;
};

// Largest groups first, ties by lowest tid.
std::vector<StackGroup> group_by_stack(const Snapshot& s);

// {"pid", "comm", "consistency", "thread_count", "groups":[{"count", "tids", "names",
//   "stack_hash":"0x…", "error":null|{code,message}, "truncated":null|"…", "frames":[…]}]}
nlohmann::json group_by_stack_json(const Snapshot& s);

// format_text, but one block per group headed "N threads: tid,tid,... (name, name)".
std::string format_text_grouped(const Snapshot& s);

// Brendan Gregg's folded stacks (flamegraph.pl, speedscope, inferno): one line per distinct
// stack, "comm;outermost;...;innermost COUNT\n", lines sorted. ';' inside a name becomes ':',
// a frame without a function is "module+0xoffset", a thread with no frames is "[error code]"
// or "[no frames]".
std::string format_folded(const Snapshot& s);

// Stable 64-bit FNV-1a over every frame's function, module, offset, file, line and inlined flag
// (not pc), length-prefixed and little-endian, so the value is the same across runs, builds and
// hosts: the store keys shared stacks by it.
uint64_t stack_hash(const std::vector<Frame>& frames);

}  // namespace dbg
