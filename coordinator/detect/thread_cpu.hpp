#pragma once
// CPU time used so far by each thread of a process (utime + stime of /proc/PID/task/TID/stat),
// for the busy-hang check: a thread that stays on the same stack while this grows is spinning.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>

namespace dbg::coord::detect {

struct CpuSample {
  std::chrono::steady_clock::time_point taken;
  std::map<int, uint64_t> ticks;  // tid -> utime + stime, clock ticks
  // tid -> voluntary_ctxt_switches of /proc/PID/task/TID/status: how often it went to sleep by
  // itself (a futex wait, a nanosleep, a read, ... and each of our ptrace stops).
  std::map<int, uint64_t> voluntary_switches = {};
};

// Reads /proc/PID/task/*/stat now (a few small reads: call it off the network threads). Threads
// that vanish while being read are left out.
CpuSample sample_thread_cpu(int pid);

// Share of one CPU the thread used between the two samples (0 when it is missing from either).
double cpu_share(const CpuSample& first, const CpuSample& last, int tid);
// Voluntary context switches of the thread between the two samples; nullopt when unknown.
std::optional<uint64_t> voluntary_switches_between(const CpuSample& first, const CpuSample& last, int tid);

}  // namespace dbg::coord::detect
