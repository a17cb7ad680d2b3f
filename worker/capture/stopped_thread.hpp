#pragma once
// What every capture does with a thread once it is in a ptrace stop, whoever stopped it: the
// snapshot jobs (process_capture.cpp: seized, interrupted, detached by them) and the crash
// watcher's capture of a process it already holds (seized_capture.hpp). Registers, the futex
// wait they show, one copy of the stack; the mutex owners while every thread is still stopped.
// Read-only: PTRACE_GETREGSET and process_vm_readv.
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include <sys/uio.h>

#include "worker/capture/process_capture.hpp"

namespace dbg::worker {

// Everything a stack copy needs, allocated before the thread is stopped: a page fault or a
// malloc inside the pause would lengthen it.
struct StackReader {
  explicit StackReader(size_t budget);
  std::vector<uint8_t> buffer;
  std::vector<iovec> remote;
};

// Registers of the stopped thread t.tid, its futex wait (registers only, no system call) and
// the stack from just below sp upward into reader.buffer. Returns the bytes copied; on failure
// t.error is set. Call keep_stack once the thread runs again.
size_t read_stopped_thread(ThreadCapture& t, StackReader& reader);

// The two halves of read_stopped_thread, for captures that get the registers elsewhere (the
// core handler takes them from the core's notes). read_stopped_registers: PTRACE_GETREGSET and
// the futex wait; false (t.error set) when the thread has none.
bool read_stopped_registers(ThreadCapture& t);
// The stack of a thread whose registers are known, from just below sp upward, read through
// `memory_of`: the thread itself or any thread of its process (they share one address space).
// Sets t.stack_start; returns the bytes copied into reader.buffer.
size_t copy_stack_from_sp(ThreadCapture& t, pid_t memory_of, StackReader& reader);
// One process_vm_readv of `memory_of` from `start` upward into reader.buffer, stopping cleanly at
// the first unreadable page. Returns the bytes copied.
size_t copy_stack_at(StackReader& reader, pid_t memory_of, uint64_t start);

// Moves the copied bytes into t.stack (after the pause: the allocation is not in it).
void keep_stack(ThreadCapture& t, const StackReader& reader, size_t copied);

// The owner of every mutex a thread waits on, read while all of them are still stopped: an
// owner read after a resume could name a thread that took the mutex since, and the wait-for
// graph would disagree with the stacks (coordinator/detect/).
void read_mutex_owners(std::vector<ThreadCapture>& threads);

}  // namespace dbg::worker
