#include "worker/snapshot/thread_stack.hpp"

#include <algorithm>
#include <utility>

namespace dbg::worker {

ThreadStack unwind_thread_stack(const ProcessCapture& capture, const ThreadCapture& t,
                                const Result<ProcessUnwinder*>& unwinder, Symbolizer& symbolizer,
                                const StackRequest& request, CacheStats& stats) {
  ThreadStack ts;
  ts.tid = t.tid;
  ts.name = t.name;
  ts.state = t.state;
  ts.pause_us = t.pause_us;
  ts.error = t.error;
  if (t.have_registers && unwinder) {
    ProcessUnwinder* u = unwinder.value();
    const bool with_registers = request.raw_frames != nullptr;
    UnwoundThread unwound = u->unwind(capture, t, request.max_depth, with_registers);
    for (const auto& f : unwound.frames) {
      symbolizer.symbolize(u->dwfl(), capture.pid, f.pc, f.activation, request.source, ts.frames, stats);
    }
    if (unwound.error && !ts.error) ts.error = unwound.error;
    if (unwound.ran_out_of_stack) ts.truncated = "stack_bytes";
    // The limit counts every frame shown, inlined ones included.
    if (unwound.hit_max_depth || static_cast<int>(ts.frames.size()) > request.max_depth) {
      ts.frames.resize(std::min(ts.frames.size(), static_cast<size_t>(request.max_depth)));
      ts.truncated = "max_depth";
    }
    if (with_registers) *request.raw_frames = std::move(unwound.frames);
  } else if (t.have_registers && !ts.error) {
    ts.error = unwinder.error();
  }
  return ts;
}

}  // namespace dbg::worker
