#pragma once
// The one way the worker waits for a wait status of one thread with a deadline: waitpid has no
// timeout, but the kernel sends SIGCHLD to the tracer at every tracee stop and exit, so poll
// waitpid(WNOHANG) and sleep in sigtimedwait(SIGCHLD) between polls. Used by Tracee::wait_stop
// (the snapshot jobs) and by the crash watcher where it stops a process's threads itself.
#include <sys/types.h>

#include <chrono>

namespace dbg::worker {

struct Waited {
  enum Outcome { kStatus, kGone, kTimeout } outcome;
  int status = 0;  // kStatus: as waitpid returned it
  int error = 0;   // kGone: waitpid's errno (ECHILD: not our tracee, or reaped already)
};

// One wait status of tid. SIGCHLD must be blocked in the calling thread (SigchldBlock, or the
// watcher, which blocks it in all its threads), so that it queues instead of being discarded.
// The watcher's main loop takes SIGCHLD from a signalfd too and polls waitpid after every
// request anyway, so a SIGCHLD taken here loses no other status.
//
// Until spin_until, the loop yields the CPU between polls instead of sleeping: most threads
// stop within tens of microseconds, and a sleep costs a wake-up (on a VM, an idle vCPU's
// wake-up) inside the target's pause. Each poll yields because the thread we wait for must
// run to reach its stop; when it is queued on our CPU (a busy host, many workers at once) a
// plain spin only delays it. With nothing else runnable sched_yield returns at once.
// A deadline already passed makes it one waitpid(WNOHANG).
Waited wait_thread(pid_t tid, std::chrono::steady_clock::time_point deadline,
                   std::chrono::steady_clock::time_point spin_until = {});

// How long Tracee::wait_stop polls before it sleeps, for the calling thread: 100 µs in the
// normal scheduling class; CapturePriority sets 20 µs for a real-time window (a real-time
// spinner does not yield to normal tasks, so a thread queued on our CPU waits for the spin to
// end: docs/capture-scheduling.md has the measurements behind both figures). The environment
// variable DBG_CAPTURE_SPIN_US (0..10000) overrides both, for the benchmarks that compare them.
std::chrono::microseconds stop_spin();
void set_stop_spin(std::chrono::microseconds spin);

}  // namespace dbg::worker
