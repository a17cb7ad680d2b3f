#include "worker/snapshot/snapshotter.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "dbg/unique_fd.hpp"
#include "worker/capture/monotonic_clock.hpp"
#include "worker/proc/proc_info.hpp"
#include "worker/snapshot/thread_stack.hpp"

namespace dbg::worker {

Snapshotter::Snapshotter() {
  // Never reach out to debuginfod servers from a debugger of production processes.
  ::unsetenv("DEBUGINFOD_URLS");
  if (const char* hold = std::getenv("DBG_WORKER_TEST_HOLD_MS")) test_hold_ = std::chrono::milliseconds(std::atoi(hold));
}

Result<ProcessUnwinder*> Snapshotter::unwinder_for(pid_t pid, uint64_t start_time) {
  uint64_t maps = executable_maps_hash(pid);
  for (auto it = unwinders_.begin(); it != unwinders_.end(); ++it) {
    if (it->pid != pid) continue;
    if (it->start_time == start_time && it->maps_hash == maps) {
      unwinders_.splice(unwinders_.begin(), unwinders_, it);
      return unwinders_.front().unwinder.get();
    }
    unwinders_.erase(it);  // same pid, another process or other modules: start over
    break;
  }
  auto created = ProcessUnwinder::create(pid, elf_cache_);
  if (!created) return created.error();
  unwinders_.push_front(CachedUnwinder{pid, start_time, maps, std::move(created.value())});
  if (unwinders_.size() > kMaxUnwinders) unwinders_.pop_back();
  return unwinders_.front().unwinder.get();
}

Result<Snapshot> Snapshotter::snapshot(pid_t pid, const protocol::SnapshotOptions& options) {
  CaptureOptions capture_options;
  capture_options.stack_bytes = options.stack_bytes;
  capture_options.consistency = options.consistency;
  capture_options.test_hold = test_hold_;
  auto captured = capture_process(pid, capture_options);
  if (!captured) return captured.error();
  return unwind_capture(captured.value(), options);
}

Snapshot Snapshotter::unwind_capture(const ProcessCapture& capture, const protocol::SnapshotOptions& options,
                                     const std::function<void()>& between_threads) {
  const pid_t pid = capture.pid;
  Snapshot snap;
  snap.pid = pid;
  snap.comm = capture.comm;
  snap.consistency = protocol::to_string(capture.consistency);
  snap.capture_us = capture.capture_us;
  snap.capture_sched = capture.sched.sched_class;
  snap.capture_sched_reason = capture.sched.reason;

  double unwind_begin = now_us();
  uint64_t module_hits = elf_cache_.hits(), module_misses = elf_cache_.misses();
  auto unwinder = unwinder_for(pid, capture.start_time);
  const StackRequest request{options.max_depth, options.source};
  for (const auto& t : capture.threads) {
    ThreadStack ts = unwind_thread_stack(capture, t, unwinder, symbolizer_, request, snap.cache);
    ts.wait = t.wait;
    snap.threads.push_back(std::move(ts));
    if (between_threads) between_threads();
  }
  snap.cache.module_hits = elf_cache_.hits() - module_hits;
  snap.cache.module_misses = elf_cache_.misses() - module_misses;
  snap.unwind_us = now_us() - unwind_begin;
  return snap;
}

}  // namespace dbg::worker
