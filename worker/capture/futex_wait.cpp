#include "worker/capture/futex_wait.hpp"

#include <sys/uio.h>

#include <cstdint>

namespace dbg::worker {

namespace {

// include/linux/errno.h: what a system call interrupted by a signal or a ptrace stop leaves in
// rax before the kernel restarts it. Never seen by user space.
constexpr long kErestartSys = -512, kErestartNoIntr = -513, kErestartNoHand = -514, kErestartRestartBlock = -516;

// include/uapi/linux/futex.h
constexpr int kFutexCmdMask = 0x7f;  // without FUTEX_PRIVATE_FLAG (128) and FUTEX_CLOCK_REALTIME (256)
constexpr int kFutexWait = 0, kFutexLockPi = 6, kFutexWaitBitset = 9, kFutexLockPi2 = 13;

struct GlibcMutexHead {  // the first 12 bytes of glibc 2.36's x86_64 pthread_mutex_t
  int32_t lock;
  uint32_t count;
  int32_t owner;
};

}  // namespace

std::optional<ThreadWait> futex_wait_from_registers(const user_regs_struct& regs) {
  if (static_cast<long>(regs.orig_rax) != kSysFutex) return std::nullopt;
  long rax = static_cast<long>(regs.rax);
  if (rax != kErestartSys && rax != kErestartNoIntr && rax != kErestartNoHand && rax != kErestartRestartBlock)
    return std::nullopt;
  ThreadWait w;
  w.addr = regs.rdi;
  w.op = static_cast<int>(regs.rsi);
  return w;
}

void read_mutex_owner(pid_t tid, ThreadWait& wait) {
  int cmd = wait.op & kFutexCmdMask;
  if (cmd != kFutexWait && cmd != kFutexWaitBitset && cmd != kFutexLockPi && cmd != kFutexLockPi2) return;
  if (wait.addr == 0 || wait.addr % alignof(int32_t) != 0) return;
  GlibcMutexHead head{};
  iovec local{&head, sizeof head};
  iovec remote{reinterpret_cast<void*>(wait.addr), sizeof head};
  if (::process_vm_readv(tid, &local, 1, &remote, 1, 0) != static_cast<ssize_t>(sizeof head)) return;
  if (head.lock != 0 && head.owner > 0) wait.mutex_owner = head.owner;
}

}  // namespace dbg::worker
