#pragma once
// PerfThreadSet: the profiler's perf events on a process, one per thread. Each is a software
// task clock (it advances only while its thread runs, so a sample stands for CPU time used) with
// a fixed period in nanoseconds, sampling IP, TID, TIME, PERIOD, the user registers the unwinder
// needs and a copy of the user stack; user mode only (exclude_kernel: permitted at
// perf_event_paranoid 2 for a process we may ptrace-read; a sample taken while the thread is in
// the kernel is dropped by the kernel).
//
// Why one event per thread, re-listed, rather than `inherit`: an inherited per-task event
// (cpu -1) cannot be mmap'd (the kernel refuses, so that children never share one ring), and
// inherit only follows threads created after the event by the thread it is on. So the sampler
// lists /proc/PID/task again every ~100 ms (as the ptrace sampler does) and sync() opens events
// for new threads and closes those of threads that left; a thread that lives less than that can
// be missed, and a new one is sampled from its first listing on.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include <poll.h>

#include "dbg/error.hpp"
#include "worker/profile/perf_event_ring.hpp"

namespace dbg::worker {

// The attributes every profiler event uses (also the overhead calibration's): period in ns of
// thread CPU time, stack_bytes of user stack (rounded down to 8, capped at the kernel's limit).
perf_event_attr profile_event_attr(uint64_t period_ns, size_t stack_bytes);
// The stack size that attr will carry (stack_bytes rounded to 8 and capped).
size_t perf_stack_bytes(size_t stack_bytes);

class PerfThreadSet {
 public:
  using OnRecord = std::function<void(uint32_t type, const uint8_t* record, size_t size)>;
  PerfThreadSet(uint64_t period_ns, size_t stack_bytes, int hz);

  // Opens the event of one thread (the first one: its error decides whether perf is usable).
  Result<void> open(pid_t tid);
  // Brings the set to `tids` (sorted): threads no longer listed are drained into on_record and
  // closed (their CPU time and lost samples kept), new ones opened; a thread that is already
  // gone when opened is skipped. Returns the error of the first other failure to open, if any.
  std::optional<Error> sync(const std::vector<pid_t>& tids, const OnRecord& on_record);
  // Every record of every ring.
  size_t drain(const OnRecord& on_record);
  // For poll(): one entry per open event, POLLIN (the ring passed its watermark).
  std::vector<pollfd>& poll_fds();
  // A new period for every event, open and later ones. False when some ioctl failed.
  bool set_period(uint64_t period_ns);

  size_t size() const { return events_.size(); }
  bool has(pid_t tid) const { return events_.count(tid) != 0; }
  // CPU nanoseconds the threads ran while sampled (their task clocks), closed ones included.
  uint64_t cpu_ns() const;
  uint64_t lost() const;

 private:
  void close(std::map<pid_t, PerfEventRing>::iterator it);

  perf_event_attr attr_;
  size_t ring_bytes_, min_ring_bytes_;
  std::map<pid_t, PerfEventRing> events_;
  std::vector<pollfd> poll_fds_;
  bool poll_fds_stale_ = true;
  uint64_t closed_cpu_ns_ = 0, closed_lost_ = 0;
};

}  // namespace dbg::worker
