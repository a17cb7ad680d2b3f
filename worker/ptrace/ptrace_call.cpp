#include "worker/ptrace/ptrace_call.hpp"

#include <elf.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "worker/proc/proc_info.hpp"

namespace dbg::worker {

Error ptrace_error(const char* what, pid_t tid, int err) {
  std::string detail = std::string(what) + " on " + std::to_string(tid) + ": " + std::strerror(err);
  if (err == ESRCH) return Error{"thread_gone", detail};
  if (err == EPERM || err == EACCES) {
    // EPERM from PTRACE_SEIZE most often means someone else (gdb, strace) already traces it...
    pid_t tracer = tracer_pid(tid);
    if (tracer > 0) return Error{"already_traced", detail + " (traced by pid " + std::to_string(tracer) + ")"};
    // ...or that the thread is in the middle of exiting, which the kernel refuses to attach to.
    if (thread_is_exiting(tid)) return Error{"thread_gone", detail + " (the thread is exiting)"};
    return Error{"permission_denied", detail};
  }
  return Error{"ptrace_failed", detail};
}

namespace {
Result<void> check(long rc, const char* what, pid_t tid) {
  if (rc == -1) return ptrace_error(what, tid, errno);
  return {};
}
}  // namespace

Result<void> ptrace_seize(pid_t tid) {
  // No options: we want no syscall, exec, clone or exit stops, only our own interrupt stop.
  return check(::ptrace(PTRACE_SEIZE, tid, nullptr, nullptr), "PTRACE_SEIZE", tid);
}

Result<void> ptrace_interrupt(pid_t tid) {
  return check(::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr), "PTRACE_INTERRUPT", tid);
}

Result<void> ptrace_detach(pid_t tid, int signal) {
  return check(::ptrace(PTRACE_DETACH, tid, nullptr, reinterpret_cast<void*>(static_cast<long>(signal))),
               "PTRACE_DETACH", tid);
}

Result<void> ptrace_get_regset(pid_t tid, void* regs, size_t size) {
  iovec io{regs, size};
  return check(::ptrace(PTRACE_GETREGSET, tid, reinterpret_cast<void*>(NT_PRSTATUS), &io), "PTRACE_GETREGSET", tid);
}

}  // namespace dbg::worker
