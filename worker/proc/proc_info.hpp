#pragma once
// Reads what /proc says about a process and its threads. Never stops anything.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dbg/proc_stat.hpp"

namespace dbg::worker {

struct ThreadInfo {
  pid_t tid = 0;
  std::string name;  // comm
  char state = '?';  // R, S, D, T, t, Z, X, ...
};

bool process_exists(pid_t pid);
std::string process_comm(pid_t pid);
// /proc/PID/stat parsed (nullopt when the process is gone): one read gives what the capture
// checks first (comm, kernel-thread flag, start time), instead of one file per question.
std::optional<procfs::StatFields> process_stat(pid_t pid);
// Threads of pid (sorted by tid), with name and state read just now.
std::vector<ThreadInfo> list_threads(pid_t pid);
// Start time of a process (clock ticks since boot); nullopt when gone.
std::optional<uint64_t> process_start_time(pid_t pid);
// TracerPid from /proc/TID/status (0 when not traced, -1 when unreadable).
pid_t tracer_pid(pid_t tid);
// Tgid from /proc/TID/status: the process a thread belongs to (nullopt when unreadable).
std::optional<pid_t> thread_group_of(pid_t tid);
// True when the thread is gone, a zombie, or exiting (PF_EXITING): ptrace refuses such a thread
// with EPERM, which then means "vanished", not "not allowed".
bool thread_is_exiting(pid_t tid);

// FNV-1a over the executable mappings of /proc/PID/maps (0 if unreadable): it changes when a
// library is loaded or unloaded, which invalidates a cached libdw session or symbol table.
uint64_t executable_maps_hash(pid_t pid);

}  // namespace dbg::worker
