#pragma once
// The stack copy of a thread that is dying of a crash, the same in both crash modes: the ptrace
// watch (the thread stopped at its fatal signal) and the core handler (the thread held by the
// kernel while it writes the core). Taking it the same way is what makes the two modes unwind the
// same frames, and so give the same error signature.
#include <sys/types.h>

#include <cstddef>

#include "worker/capture/process_capture.hpp"
#include "worker/capture/stopped_thread.hpp"

namespace dbg::worker {

// Bytes of stack copied per thread of a crashing process.
inline constexpr size_t kCrashStackBytes = 64 * 1024;

// From just below sp upward (stopped_thread.hpp). A stack overflow leaves sp at, or already
// inside, the guard page below the stack; then the copy starts at the first readable page
// above sp, within 16 pages (the frames the unwinder needs are there). t.regs must be set;
// reads go through `memory_of` (the thread or any thread of its process). Returns the bytes
// copied into reader.buffer: hand them to keep_stack.
size_t copy_crash_stack(ThreadCapture& t, pid_t memory_of, StackReader& reader);

}  // namespace dbg::worker
