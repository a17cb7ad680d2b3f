#pragma once
// The sampling-profile model: what the worker's profiler returns, the coordinator stores and the
// exports (folded, speedscope, pprof) read. Tables, not trees, so every export is one pass:
//   frames     distinct symbolized frames (function, module, ELF offset, file, line, inlined)
//   locations  one per distinct pc: its frames innermost first (inlined calls, then the real one)
//   stacks     location indices, innermost first
//   threads    the sampled threads
//   counts     (thread, stack) -> samples and CPU nanoseconds: the per-thread profile; the merged
//              profile is their sum over threads
// JSON: {"pid","comm","hz_requested","hz_effective","duration_s","elapsed_s","max_overhead_pct",
//   "overhead_pct","rate_limited","include_idle","ticks","samples","samples_captured",
//   "samples_reused","samples_evicted","samples_failed","pause_us_total","pause_us_max","stop_wait_us_total",
//   "max_bytes","bytes_peak","stop_reason","start_unix_ns","sampler","sampler_reason","capture_sched","capture_sched_reason","samples_lost",
//   "overhead_per_sample_us","modules":[…],"frames":[…],
//   "locations":[{"pc","module","frames"}],"stacks":[[…]],"threads":[{"tid","name","samples"}],
//   "counts":[[thread,stack,samples,cpu_ns]]}
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "dbg/error.hpp"
#include "dbg/protocol.hpp"
#include "dbg/snapshot.hpp"

namespace dbg {

inline constexpr int kMaxProfileHz = 1000;
// The worker's own ceiling; the coordinator enforces a lower, configurable one.
inline constexpr double kMaxProfileDurationS = 24 * 3600;
inline constexpr uint64_t kMinProfileBytes = 64 * 1024;
inline constexpr uint64_t kDefaultProfileBytes = 50ull << 20;

// Which sampler takes the samples (issue #19). perf: perf_event_open, the kernel copies registers
// and user stack at each sample and the target is never stopped; ptrace: each sample pauses a
// thread (ProfileSampler's capture path). auto: perf when perf_event_open on the target is
// permitted, else ptrace (the profile's sampler_reason says why).
enum class SamplerChoice { kAuto, kPerf, kPtrace };
const char* sampler_choice_name(SamplerChoice c);

struct ProfileOptions {
  int hz = 99;
  double duration_s = 10;
  double max_overhead_pct = 2;  // of the target's thread time spent paused by us
  bool include_idle = true;     // false: only threads running (state R) at a tick are sampled
  uint64_t max_bytes = kDefaultProfileBytes;  // the sample buffer's byte budget
  int max_depth = 128;
  size_t stack_bytes = 64 * 1024;
  protocol::SourceMode source = protocol::SourceMode::kAll;
  SamplerChoice sampler = SamplerChoice::kAuto;
};

// Validates profile options (unknown keys refused): hz 1..1000, duration_s (0, 86400],
// max_overhead_pct (0, 100], include_idle bool, max_bytes >= 64 KiB, and the snapshot options
// max_depth, stack_bytes, source; sampler "auto" | "perf" | "ptrace".
Result<ProfileOptions> parse_profile_options(const nlohmann::json& options);

struct ProfileModule {
  std::string name;      // file name ("libc.so.6")
  std::string path;      // as mapped
  std::string build_id;  // hex, "" when none
  uint64_t start = 0, end = 0;  // mapped address range in the target
};

struct ProfileLocation {
  uint64_t pc = 0;
  int module = -1;              // index into modules, -1 when unmapped
  std::vector<uint32_t> frames; // indices into frames, innermost first
};

struct ProfileThread {
  int tid = 0;
  std::string name;
  uint64_t samples = 0;
};

struct ProfileCount {
  uint32_t thread = 0;  // index into threads
  uint32_t stack = 0;   // index into stacks
  uint64_t samples = 0;
  uint64_t cpu_ns = 0;  // CPU time the thread used in the intervals that ended in these samples
};

struct Profile {
  int pid = 0;
  std::string comm;
  double hz_requested = 0, hz_effective = 0;
  double duration_s = 0, elapsed_s = 0;
  double max_overhead_pct = 0, overhead_pct = 0;
  bool rate_limited = false;  // the overhead budget lowered the rate below the requested one
  bool include_idle = true;
  uint64_t ticks = 0;
  uint64_t samples = 0;           // samples held (after eviction)
  uint64_t samples_captured = 0;  // thread pauses that produced a stack
  uint64_t samples_reused = 0;    // idle threads counted again without a pause
  uint64_t samples_evicted = 0;   // dropped, oldest first, to stay within max_bytes
  uint64_t samples_failed = 0;    // pauses that produced no stack (thread gone, unwind failed)
  double pause_us_total = 0, pause_us_max = 0;  // time threads were stopped (the overhead)
  double stop_wait_us_total = 0;  // interrupt -> stop, while threads still ran or waited for a CPU
  uint64_t max_bytes = 0, bytes_peak = 0;
  std::string stop_reason = "duration";  // duration, cancelled, process_exited
  int64_t start_unix_ns = 0;
  // The sampler that ran ("perf" or "ptrace"; profiles stored before issue #19 were ptrace), and
  // when auto chose ptrace, why perf was not usable ("" otherwise).
  std::string sampler = "ptrace";
  std::string sampler_reason;
  // ptrace sampler only: the scheduling class its capture windows ran in ("realtime" or
  // "normal", as a snapshot's capture_sched; "" for perf, which stops nothing) and why a
  // realtime request fell back.
  std::string capture_sched;
  std::string capture_sched_reason;
  uint64_t samples_lost = 0;  // perf: samples the kernel dropped (ring full); ptrace: 0
  // perf: the measured cost of one sample to the sampled thread (interrupt, register and stack
  // copy; overhead_pct is samples x this over the target's CPU time); ptrace: 0.
  double overhead_per_sample_us = 0;
  std::vector<ProfileModule> modules;
  std::vector<Frame> frames;  // pc left 0: locations carry it
  std::vector<ProfileLocation> locations;
  std::vector<std::vector<uint32_t>> stacks;
  std::vector<ProfileThread> threads;
  std::vector<ProfileCount> counts;
};

void to_json(nlohmann::json& j, const Profile& p);
void from_json(const nlohmann::json& j, Profile& p);

// A frame's display name: the function, or "module+0xoffset" when no symbol covers it.
std::string profile_frame_name(const Frame& f);

// Folded stacks (flamegraph.pl, inferno, speedscope's importer): "root;…;leaf COUNT\n", one line
// per distinct text, sorted. Merged over threads, rooted at the comm; with by_thread, rooted at
// "comm;name-tid"; with only_tid, one thread. ';' in names becomes ':', line breaks become spaces.
struct FoldedOptions {
  bool by_thread = false;
  std::optional<int> only_tid;
};
std::string format_profile_folded(const Profile& p, const FoldedOptions& options = {});

}  // namespace dbg
