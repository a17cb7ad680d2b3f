#pragma once
// Signals as the crash watch sees them: which ones end a process with a crash, their names and
// si_code names ("SIGSEGV/SEGV_MAPERR"), and whether the target handles or ignores one itself.
#include <sys/types.h>

#include <optional>
#include <string>

namespace dbg::worker {

// SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGSYS, SIGTRAP: fatal with a core dump when their
// disposition is the default.
bool is_crash_signal(int sig);
// "SIGSEGV"; "SIG37" for a signal without an abbreviation.
std::string signal_name(int sig);
// The si_code's name for this signal ("SEGV_MAPERR", "FPE_INTDIV", "SI_TKILL"), or the number.
std::string signal_code_name(int sig, int code);
// True when si_code says the kernel generated the signal from a fault, so si_addr is meaningful.
bool code_has_fault_address(int sig, int code);

struct SignalDisposition {
  bool caught = false;   // a handler is installed (SigCgt)
  bool ignored = false;  // SIG_IGN (SigIgn)
};
// From /proc/PID/task/TID/status, read while the thread is stopped at the signal's delivery:
// the kernel has already reset a forced synchronous signal to SIG_DFL by then, so this is the
// disposition that decides the process's fate. nullopt when the file cannot be read.
std::optional<SignalDisposition> read_disposition(pid_t pid, pid_t tid, int sig);

}  // namespace dbg::worker
