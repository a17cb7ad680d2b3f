#pragma once
// ProfileSampler: a sampling profile of every thread of a process. The ptrace sampler, here: the snapshot's capture
// path (pause, copy registers and stack, resume; unwind the copy while the target runs).
//
// Each tick: list the threads (every 100 ms), read each one's state and CPU time; a thread that
// has used no CPU since its last sample and is not running cannot have another user stack, so its
// last stack is counted again without pausing it; the others are paused one at a time, copied and
// resumed, then unwound and symbolized (each distinct pc once). Samples go into a SampleBuffer
// (bounded in bytes). When ticks start is decided by the OverheadGovernor: never faster than
// requested, and never so often that the measured pause share would exceed max_overhead_pct.
#include <sys/types.h>

#include <functional>

#include <nlohmann/json.hpp>

#include "dbg/profile.hpp"
#include "worker/symbols/symbolizer.hpp"
#include "worker/unwind/elf_cache.hpp"

namespace dbg::worker {

struct ProfileHooks {
  // Polled between ticks and while waiting for the next one (at least every 20 ms): true stops
  // the profile early; what was collected is returned with stop_reason "cancelled".
  std::function<bool()> should_stop;
  // About once a second: {"samples","ticks","elapsed_s","duration_s","hz_effective","overhead_pct",
  // "samples_evicted"}.
  std::function<void(const nlohmann::json&)> on_progress;
};

// Runs the sampler options.sampler names: perf (perf_sampler.hpp, the target never stopped),
// ptrace (below), or auto: perf when perf_event_open on the target's first thread succeeds,
// else ptrace, with the reason in the profile's sampler_reason.
class ProfileSampler {
 public:
  ProfileSampler();
  // Errors for the whole process: process_gone, zombie, kernel_thread, permission_denied,
  // already_traced (ptrace: when no thread could be paused at the first tick); perf asked for by
  // name and refused: permission_denied or perf_failed, the message naming the errno.
  Result<Profile> run(pid_t pid, const ProfileOptions& options, const ProfileHooks& hooks = {});

 private:
  ElfCache elf_cache_;
  Symbolizer symbolizer_;
};

}  // namespace dbg::worker
