#pragma once
// The perf sampler (issue #19): a sampling profile taken by the kernel, the target never stopped.
// Each thread of the target has a task-clock event (PerfThreadSet) whose samples carry its user
// registers and a copy of its user stack; the worker drains the rings while the target runs and
// unwinds every sample with the same ProcessUnwinder, LocationTable and SampleBuffer as the
// ptrace sampler, so the Profile (and every export of it) has the same shape. What differs:
//   - only CPU time is sampled (a sleeping thread's task clock does not advance): threads that
//     sleep throughout are in the thread table with no samples; include_idle changes nothing;
//   - pause_us_*, stop_wait_us_total and samples_reused are 0; samples_lost counts what the
//     kernel dropped on full rings;
//   - overhead_pct is samples x the measured per-sample cost (perf_overhead_calibration) over
//     the target's CPU time in the profile, and the budget lowers the sampling rate to fit it.
#include <sys/types.h>

#include "dbg/profile.hpp"
#include "worker/profile/profile_sampler.hpp"
#include "worker/symbols/symbolizer.hpp"
#include "worker/unwind/elf_cache.hpp"

namespace dbg::worker {

struct PerfProfileResult {
  Result<Profile> profile = Error{"perf_unavailable", ""};
  // True when the target's first thread refused perf_event_open (or its ring): nothing was
  // sampled, and the error's message says why ("perf_event_open: EACCES (perf_event_paranoid=3)").
  bool unavailable = false;
};

PerfProfileResult run_perf_profile(pid_t pid, const ProfileOptions& options, const ProfileHooks& hooks, ElfCache& elf_cache,
                                   Symbolizer& symbolizer);

}  // namespace dbg::worker
