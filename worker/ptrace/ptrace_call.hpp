#pragma once
// Thin, fallible wrappers over glibc's ptrace(). We call glibc's ptrace() (not syscall()) on
// purpose: external tools that interpose it (../shared/bench/ptrace_clock.c) can then time us.
#include <sys/types.h>

#include "dbg/error.hpp"

namespace dbg::worker {

// Maps errno from a failed ptrace/waitpid/process_vm_readv on `tid` to a stable error code:
// ESRCH -> "thread_gone", EPERM/EACCES -> "permission_denied" or "already_traced", else "ptrace_failed".
Error ptrace_error(const char* what, pid_t tid, int err);

// The read-only subset of ptrace we use. Each returns an Error instead of asserting.
Result<void> ptrace_seize(pid_t tid);
Result<void> ptrace_interrupt(pid_t tid);
Result<void> ptrace_detach(pid_t tid, int signal);
Result<void> ptrace_get_regset(pid_t tid, void* regs, size_t size);

}  // namespace dbg::worker
