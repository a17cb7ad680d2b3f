#pragma once
// What a stopped thread was blocked in, from its registers, and for a pthread mutex who holds it.
// Used by the capture phase (process_capture.cpp): the register part costs nothing (the
// registers are already read for unwinding), the owner read is one small process_vm_readv, done
// only in `process` consistency, while every thread is still stopped, so that the owner agrees
// with the stacks taken at the same instant (the wait-for graph of coordinator/detect/ relies
// on it).
#include <sys/types.h>
#include <sys/user.h>

#include <optional>

#include "dbg/snapshot.hpp"

namespace dbg::worker {

// x86_64: futex is system call 202.
inline constexpr long kSysFutex = 202;

// The futex wait the registers show, or nullopt. A thread counts as waiting when it was inside
// futex() when it stopped: orig_rax is 202 and rax holds one of the kernel's "restart this
// system call" codes (the wait was interrupted by our stop and resumes on detach). A thread
// that merely stopped on the way out of futex() has its real result in rax and is not waiting.
std::optional<ThreadWait> futex_wait_from_registers(const user_regs_struct& regs);

// Reads the would-be pthread_mutex_t at wait.addr (glibc 2.36 x86_64: int __lock at 0, unsigned
// __count at 4, int __owner at 8) from the target, and sets wait.mutex_owner when the futex op is
// one mutexes use (WAIT, WAIT_BITSET, LOCK_PI, LOCK_PI2) and the word is locked with a positive
// owner. Read-only (process_vm_readv); a failed read leaves mutex_owner unset.
void read_mutex_owner(pid_t tid, ThreadWait& wait);

}  // namespace dbg::worker
