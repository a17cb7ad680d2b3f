#pragma once
// One snapshot of a process's identity and resource use, read from /proc. The ranking, the
// target policy and session target resolution all start from these samples; nothing here
// touches the process itself (no ptrace), so reading is always safe.
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dbg::coord::procfs {

// cmdline is read up to this many bytes. The start of a command line is what people match on;
// the cap bounds memory per process and keeps std::regex (recursive in libstdc++) away from
// inputs long enough to exhaust a thread's stack.
inline constexpr std::size_t kMaxCmdlineBytes = 4096;

struct ProcessSample {
  int pid = 0, ppid = 0;
  uid_t uid = 0;               // real uid from /proc/PID/status
  std::string comm;            // /proc/PID/comm
  std::string cmdline;         // NULs replaced by spaces, trailing space trimmed; "" for kernel threads
  char state = '?';            // stat field 3
  uint64_t utime_ticks = 0, stime_ticks = 0, start_time_ticks = 0;
  uint64_t rss_bytes = 0;      // stat rss * page size
  int threads = 0;
  bool kernel_thread = false;  // PF_KTHREAD (0x00200000) in stat flags, or ppid 2 / pid 2 (see below)
};

// All processes under proc_root (skips entries that vanish while read). Sorted by pid.
std::vector<ProcessSample> read_all_processes(const std::string& proc_root = "/proc");

// Decides on a sample of which only pid, comm and cmdline are filled in yet. Called from several
// threads at once (the reads are spread over the cores): it must be safe for that.
using ProcessFilter = std::function<bool(const ProcessSample&)>;
// The processes `keep` accepts, sorted by pid. Only comm and cmdline are read for the others,
// which makes resolving a {"match": …} session about half the /proc reads of read_all_processes.
std::vector<ProcessSample> read_processes_where(const ProcessFilter& keep, const std::string& proc_root = "/proc");
// Those of `pids` that exist as processes (duplicates once), sorted by pid.
std::vector<ProcessSample> read_processes(const std::vector<int>& pids, const std::string& proc_root = "/proc");

// One process, or nullopt when it does not exist, vanished while being read, or `pid` is the id
// of a non-leader thread (/proc/TID is readable though not listed; a thread is not a process,
// and treating it as one would let a caller aim at a thread of the coordinator itself).
std::optional<ProcessSample> read_process(int pid, const std::string& proc_root = "/proc");

// The pids under proc_root (one directory listing: which processes exist, nothing about them).
std::vector<int> list_process_ids(const std::string& proc_root = "/proc");

// The cheap refresh of a known process: only /proc/PID/stat (state, CPU ticks, RSS, threads,
// ppid, comm), not cmdline and status, which change only at an exec, a setuid or a
// setproctitle. False when the process is gone, or its start time differs from the sample's (the
// pid was reused: the caller reads the new process whole); the sample is unchanged then.
bool refresh_from_stat(ProcessSample& sample, const std::string& proc_root = "/proc");

// The start time (clock ticks since boot, stat field 22) of process `pid`, nullopt when gone:
// with the pid, which process it is (pids are reused).
std::optional<std::uint64_t> read_start_time(int pid, const std::string& proc_root = "/proc");

}  // namespace dbg::coord::procfs
