#pragma once
// Tracee: one seized thread. RAII: whatever happens (error, exception, early return), the
// destructor releases the thread so that a target is never left stopped by us.
//
// Life: seize() (PTRACE_SEIZE: traced, still running) -> interrupt() -> wait_stop()
//       -> registers()/read stack -> detach() (resume + untrace in one call).
#include <sys/types.h>
#include <sys/user.h>

#include <chrono>
#include <utility>

#include "dbg/error.hpp"

namespace dbg::worker {

class Tracee {
 public:
  static Result<Tracee> seize(pid_t tid);

  Tracee(Tracee&& other) noexcept
      : tid_(std::exchange(other.tid_, -1)), state_(std::exchange(other.state_, State::kReleased)),
        signal_(other.signal_), group_stop_(other.group_stop_) {}
  Tracee& operator=(Tracee&&) = delete;
  Tracee(const Tracee&) = delete;
  Tracee& operator=(const Tracee&) = delete;
  ~Tracee();

  pid_t tid() const { return tid_; }
  // Asks the thread to stop (PTRACE_INTERRUPT); it stops asynchronously.
  Result<void> interrupt();
  // Waits until the interrupt stop (or a signal-delivery or group stop) is reported, at most
  // `timeout`. "thread_gone" if the thread exited, "stop_timeout" if it did not stop in time
  // (e.g. stuck in uninterruptible sleep); in that case the Tracee is handed to the lingering
  // list on destruction and released as soon as it stops.
  Result<void> wait_stop(std::chrono::microseconds timeout);
  bool stopped() const { return state_ == State::kStopped; }
  // True when the thread was in a group stop (SIGSTOP'd process); detaching leaves it stopped.
  bool in_group_stop() const { return group_stop_; }
  Result<user_regs_struct> registers() const;
  // Resumes the thread and stops tracing it; a signal that arrived during our stop is re-delivered.
  Result<void> detach();

 private:
  enum class State { kSeized, kInterrupted, kStopped, kGone, kReleased };
  explicit Tracee(pid_t tid) : tid_(tid) {}
  pid_t tid_;
  State state_ = State::kSeized;
  int signal_ = 0;  // signal intercepted by a signal-delivery-stop, to re-inject on detach
  bool group_stop_ = false;
};

// Tracees that did not stop before their deadline: released later, when they do stop.
// Call release_lingering() between jobs; the kernel releases them anyway if the worker dies.
void release_lingering();
size_t lingering_count();

// A thread that execs takes over its process's id (the leader's) and keeps its tracer: if we
// had seized it, waitpid on its old tid now says ECHILD and the capture counts it gone, while
// the process, under its own pid, is still traced by us. Call after a capture of `pid` in which
// a thread went away: if pid's TracerPid is this process, it is interrupted and released like a
// lingering tracee (coordinator_hostile_targets_test caught an exec'ing target left traced).
void release_if_exec_took_over(pid_t pid);

// Blocks SIGCHLD in the calling thread for the scope, so that wait_stop can sleep in
// sigtimedwait() for a tracee's stop notification with a timeout (waitpid has none).
class SigchldBlock {
 public:
  SigchldBlock();
  ~SigchldBlock();
  SigchldBlock(const SigchldBlock&) = delete;
  SigchldBlock& operator=(const SigchldBlock&) = delete;

 private:
  bool was_blocked_ = false;
};

}  // namespace dbg::worker
