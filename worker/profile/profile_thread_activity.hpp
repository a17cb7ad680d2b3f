#pragma once
// ThreadActivity: what /proc says a thread is doing right now, read cheaply enough to ask every
// thread at every tick (hundreds of times a second): each thread's stat and schedstat files are
// opened once and re-read with pread(), which regenerates their contents at offset 0.
//
// cpu_ns prefers /proc/PID/task/TID/schedstat's first field (nanoseconds on CPU, the scheduler's
// own sum_exec_runtime). utime+stime in stat count whole clock ticks (10 ms at HZ=100) sampled at
// the timer interrupt, so a thread that ran for a millisecond can show no change: treating it as
// idle would repeat a stack it may have left. Without schedstat (CONFIG_SCHED_INFO off) we fall
// back to utime+stime.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "dbg/unique_fd.hpp"

namespace dbg::worker {

struct ThreadActivity {
  char state = '?';        // R, S, D, T, t, Z, X, ...
  uint64_t cpu_ns = 0;     // CPU time used since the thread started (schedstat when available)
  uint64_t cpu_ticks = 0;  // utime + stime, clock ticks
  // /proc/PID/task/TID/syscall of a thread that is not running: "NR args… sp pc" while blocked
  // in a system call; empty when running or unreadable.
  std::string syscall;
};

class ThreadActivityReader {
 public:
  explicit ThreadActivityReader(pid_t pid) : pid_(pid) {}
  // nullopt when the thread is gone. The syscall file is read only for a thread not running.
  std::optional<ThreadActivity> read(pid_t tid);
  // Closes the files of threads not in `live` (sorted).
  void retain(const std::vector<pid_t>& live);

 private:
  struct Files {
    UniqueFd stat;
    UniqueFd schedstat;
    UniqueFd syscall;
  };
  pid_t pid_;
  std::unordered_map<pid_t, Files> files_;
};

// Thread ids of pid (sorted), from one listing of /proc/PID/task; empty when the process is gone.
std::vector<pid_t> list_tids(pid_t pid);
// /proc/PID/task/TID/comm, "" when gone.
std::string thread_name(pid_t pid, pid_t tid);

}  // namespace dbg::worker
