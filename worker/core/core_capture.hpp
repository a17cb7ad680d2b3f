#pragma once
// The ProcessCapture of a crashed process from its core's notes and its live memory: what the
// ptrace watch captures at the fatal signal (watch_tracer.cpp), taken while the kernel holds the
// process for the core dump instead. Registers per thread come from NT_PRSTATUS; names and
// states from /proc/PID/task; each stack is copied from the process (process_vm_readv, the same
// copy as the watch's: crash_stack.hpp), which the kernel keeps until the core is drained.
#include <cstddef>
#include <cstdint>
#include <string>

#include "worker/capture/process_capture.hpp"
#include "worker/core/core_args.hpp"
#include "worker/core/core_notes.hpp"

namespace dbg::worker::core {

struct CoreCapture {
  ProcessCapture capture;      // threads[0] is the crashing thread
  size_t omitted_threads = 0;  // threads beyond max_threads
};

// The crashing thread is the note whose pr_pid is %i (the kernel writes it first; the first
// note otherwise), then the others by thread id (as the watch lists them), at most max_threads in all. Thread ids
// are the initial namespace's (as the watch reports them): for a process in a pid namespace they
// are mapped through /proc/PID/task/*/status NSpid; a thread that cannot be mapped keeps its
// namespace id, gets no name, and is read only through %P (so that no other process's /proc
// entry or memory is ever read by mistake).
CoreCapture capture_from_core(const CrashArgs& args, const CoreNotes& notes, const std::string& comm,
                              uint64_t start_time, int max_threads);

}  // namespace dbg::worker::core
