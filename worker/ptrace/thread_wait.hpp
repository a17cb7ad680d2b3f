#pragma once
// Waiting for one thread's wait status with a deadline, for the crash watcher, whose main loop
// otherwise takes every status with waitpid(-1) (watch_tracer.cpp). Used where it stops a
// process's threads itself: for a crash context and for a capture (seized_capture.hpp).
#include <sys/types.h>

#include <chrono>

namespace dbg::worker {

struct Waited {
  enum Outcome { kStatus, kGone, kTimeout } outcome;
  int status = 0;
};

// One wait status of tid, sleeping in sigtimedwait(SIGCHLD) between polls. SIGCHLD must be
// blocked in the calling thread (the watcher blocks it in all its threads; the main loop's
// signalfd and this both take it from the pending set, and the main loop polls waitpid after
// every request anyway, so a SIGCHLD taken here loses no other status).
Waited wait_thread(pid_t tid, std::chrono::steady_clock::time_point deadline);

}  // namespace dbg::worker
