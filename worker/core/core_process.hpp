#pragma once
// Who crashed, from the crashed process's /proc entry, which the kernel keeps until the core is
// drained (docs/crash-capture.md): comm, command line, executable, start time. Each falls back
// to what the kernel's arguments or the core's notes say when /proc cannot tell.
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "worker/core/core_args.hpp"
#include "worker/core/core_notes.hpp"

namespace dbg::worker::core {

// Read as the coordinator reads them (coordinator/procfs/proc_reader.cpp), so that a watch's
// regex selects here what it selects there: comm up to 256 bytes without its newline, cmdline up
// to 4096 bytes with NULs as spaces and the trailing ones dropped.
inline constexpr size_t kMaxCommBytes = 256;
inline constexpr size_t kMaxCmdlineBytes = 4096;

struct CrashedProcess {
  std::string comm;      // /proc/PID/comm, else NT_PRPSINFO's fname, else %e
  std::string cmdline;   // "" when unreadable
  std::string exe;       // readlink /proc/PID/exe, else %E with '/' for '!'
  uint64_t start_time = 0;  // /proc/PID/stat field 22 (clock ticks since boot), 0 when unreadable
};

CrashedProcess read_crashed_process(const CrashArgs& args, const CoreNotes* notes);

}  // namespace dbg::worker::core
