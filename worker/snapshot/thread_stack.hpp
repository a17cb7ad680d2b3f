#pragma once
// One captured thread -> its ThreadStack: identity, pause and error from the capture, frames
// unwound from the copied stack and symbolized, truncation noted ("stack_bytes", "max_depth").
// The one loop body shared by the snapshot jobs (Snapshotter::unwind_capture) and the crash
// watcher's crash context (watch_crash_context.cpp). Runs after the resume: it allocates freely.
#include <vector>

#include "dbg/error.hpp"
#include "dbg/protocol.hpp"
#include "dbg/snapshot.hpp"
#include "worker/capture/process_capture.hpp"
#include "worker/symbols/symbolizer.hpp"
#include "worker/unwind/process_unwinder.hpp"

namespace dbg::worker {

struct StackRequest {
  int max_depth = 0;  // frames shown, inlined ones included
  protocol::SourceMode source = protocol::SourceMode::kAll;
  // Set to keep the unwound frames with their registers (the crash watch reads the crashing
  // thread's variables with them); null for a plain stack.
  std::vector<RawFrame>* raw_frames = nullptr;
};

// unwinder: the process's libdw session, or why there is none (then a thread with registers
// gets that error). ThreadStack::wait is left to the caller. stats counts symbol cache use.
ThreadStack unwind_thread_stack(const ProcessCapture& capture, const ThreadCapture& thread,
                                const Result<ProcessUnwinder*>& unwinder, Symbolizer& symbolizer,
                                const StackRequest& request, CacheStats& stats);

}  // namespace dbg::worker
