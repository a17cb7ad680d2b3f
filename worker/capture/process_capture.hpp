#pragma once
// The capture phase: the only part of a snapshot during which target threads are stopped.
// Per thread: SEIZE, INTERRUPT, wait, GETREGSET, one process_vm_readv of the stack, DETACH.
// Unwinding happens later, on the copies, while the target runs.
#include <sys/types.h>
#include <sys/user.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dbg/error.hpp"
#include "dbg/protocol.hpp"
#include "dbg/snapshot.hpp"
#include "worker/capture/capture_priority.hpp"

namespace dbg::worker {

struct ThreadCapture {
  pid_t tid = 0;
  std::string name;
  char state = '?';  // as seen just before we stopped it
  bool have_registers = false;
  user_regs_struct regs{};
  uint64_t stack_start = 0;      // target address of stack[0]
  std::vector<uint8_t> stack;    // bytes copied from [stack_start, stack_start + stack.size())
  double pause_us = 0;           // interrupt sent -> detached
  // interrupt sent -> stop seen: the part of pause_us before the thread stopped, while it still
  // ran or waited for a CPU (a sleeping thread must be woken, on a busy machine that takes ms)
  double stop_wait_us = 0;
  std::optional<Error> error;    // why this thread has no (or partial) capture
  // Blocked in futex() when stopped (futex_wait.hpp): from the registers in both modes; the
  // mutex owner only in `process` consistency, read before anyone resumes.
  std::optional<ThreadWait> wait;
};

struct ProcessCapture {
  pid_t pid = 0;
  std::string comm;
  uint64_t start_time = 0;  // clock ticks since boot (/proc/PID/stat field 22): which process this pid was
  protocol::Consistency consistency = protocol::Consistency::kThread;
  std::vector<ThreadCapture> threads;
  double capture_us = 0;  // first interrupt -> last detach
  CaptureSchedReport sched;  // the scheduling class the capture window ran in
};

struct CaptureOptions {
  size_t stack_bytes = 64 * 1024;
  protocol::Consistency consistency = protocol::Consistency::kThread;
  std::chrono::microseconds stop_timeout{500'000};
  // Test hook only (DBG_WORKER_TEST_HOLD_MS): keep each thread stopped this long, so a test can
  // kill the worker while it holds a stopped thread. Never set in production.
  std::chrono::milliseconds test_hold{0};
};

// The profiler's per-tick path: the same per-thread capture as a `thread`-consistency snapshot
// (INTERRUPT, GETREGSET, one stack copy, DETACH), for threads the caller picked, with one stack
// buffer allocated once and reused across calls (no allocation of it inside or between pauses).
// Up to one thread per CPU is asked to stop at a time, each copied and released as soon as it
// stops, so waits for threads to stop overlap while each thread is stopped only for its copy.
struct StackReader;
class ThreadCapturer {
 public:
  explicit ThreadCapturer(size_t stack_bytes);
  ~ThreadCapturer();
  ThreadCapturer(const ThreadCapturer&) = delete;
  ThreadCapturer& operator=(const ThreadCapturer&) = delete;
  // Fills each thread's registers, stack copy, pause_us or error; tid must be set. After
  // `start_none_after_us` (CLOCK_MONOTONIC microseconds; 0: no limit) no further thread is
  // stopped: the rest get the error "not_sampled". Returns the class the window ran in.
  CaptureSchedReport capture(std::vector<ThreadCapture>& threads, const CaptureOptions& options, double start_none_after_us = 0);

 private:
  std::unique_ptr<StackReader> reader_;
};

// Captures every thread of pid. Errors for the whole process ("process_gone", "zombie",
// "permission_denied") come back as Error; per-thread failures are recorded on the thread.
Result<ProcessCapture> capture_process(pid_t pid, const CaptureOptions& options);

}  // namespace dbg::worker
