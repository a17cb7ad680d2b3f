#pragma once
// A `process`-consistency capture of threads the caller already traces (the crash watcher holds
// every thread of a watched process seized, so the snapshot jobs' own PTRACE_SEIZE would fail
// with already_traced). Same instant, same copies as capture_process in `process` mode
// (stopped_thread.hpp): every thread is asked to stop (PTRACE_INTERRUPT), every stop is waited
// for, registers and stacks are copied and mutex owners read, and only then does anyone run.
//
// This function never resumes a thread: the wait status each stopped thread reported goes back
// to the caller (`stops`), who must resume it exactly as its own wait loop would have, for the
// status says how. An interrupt stop is resumed with no signal; a group stop (the process was
// SIGSTOPped) stays a group stop; a signal-delivery stop (the thread was about to get a signal
// when we asked it to stop) keeps its signal, and a fatal one is still reported as a crash
// (watch_tracer.cpp does all of it in handle()). A thread that stopped at a signal instead of
// our interrupt still has the interrupt pending: it reports one more stop after its resume,
// which the caller's loop resumes like any interrupt stop.
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "worker/capture/process_capture.hpp"
#include "worker/capture/stopped_thread.hpp"

namespace dbg::worker {

struct SeizedStop {
  pid_t tid = 0;
  int status = 0;  // as waitpid returned it: a stop, or the thread's exit
};

struct SeizedCapture {
  ProcessCapture capture;
  // Per thread of capture.threads: when it was asked to stop (CLOCK_MONOTONIC microseconds,
  // 0 if never), so the caller can set pause_us once it has resumed them.
  std::vector<double> interrupted_at_us;
  // Every status taken from the kernel, in the order seen; each must be handed to the caller's
  // status handler (it resumes stopped threads and forgets exited ones).
  std::vector<SeizedStop> stops;
  // The stack copies, still in their buffers: moved into the threads by finish_seized, after
  // the resume, so that no allocation happens while the process is stopped.
  std::vector<StackReader> readers;
  std::vector<size_t> copied;
};

// tids: the seized threads of pid. Threads that are zombies (an exited leader) get the error
// "zombie"; one that does not stop within stop_timeout gets "stop_timeout" (its interrupt stop
// arrives later, for the caller's loop to resume).
SeizedCapture capture_seized(pid_t pid, const std::string& comm, const std::set<pid_t>& tids, size_t stack_bytes,
                             std::chrono::milliseconds stop_timeout);

// Once the caller has resumed every stop: each thread's pause_us (interrupt -> resumed_at_us,
// CLOCK_MONOTONIC microseconds), capture_us (first interrupt -> resumed_at_us) and the stack
// copies moved into the threads.
void finish_seized(SeizedCapture& seized, double resumed_at_us);

}  // namespace dbg::worker
