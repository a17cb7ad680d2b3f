#pragma once
// Busy hangs: threads that stay on the same stack across several snapshots while using CPU.
//
// "The same stack" compares frames by function (or by module when a frame has no symbol), not
// by pc: a spinning loop moves its innermost pc between snapshots but never leaves its function.
// A thread must also be runnable ('R') in every snapshot and have used some CPU: one that blocks
// (a "wait", a sleeping state, no CPU used) is never spinning, however still its stack is.
#include <vector>

#include "coordinator/detect/finding.hpp"
#include "coordinator/detect/thread_cpu.hpp"
#include "dbg/snapshot.hpp"

namespace dbg::coord::detect {

// One finding for the process (all its spinning threads, by tid), or none. `snapshots` in time
// order; first/last: CPU samples taken before the first and after the last snapshot.
std::vector<Finding> find_busy_hangs(const std::vector<Snapshot>& snapshots, const CpuSample& first,
                                     const CpuSample& last, double min_cpu_share);

}  // namespace dbg::coord::detect
