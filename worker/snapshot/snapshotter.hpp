#pragma once
// Snapshotter: capture (targets stopped for microseconds) then unwind and symbolize offline.
// One per worker; it owns the caches that make repeated snapshots cheap: ELF files by file
// identity, symbolized pcs by build-id, and libdw sessions of recently seen processes.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <list>
#include <memory>

#include "dbg/protocol.hpp"
#include "dbg/snapshot.hpp"
#include "worker/symbols/symbolizer.hpp"
#include "worker/unwind/elf_cache.hpp"
#include "worker/unwind/process_unwinder.hpp"

namespace dbg::worker {

class Snapshotter {
 public:
  Snapshotter();
  Result<Snapshot> snapshot(pid_t pid, const protocol::SnapshotOptions& options);
  // The offline half of snapshot(): unwinds and symbolizes a capture already taken (by
  // capture_process, or by the crash watcher on threads it holds: seized_capture.hpp).
  // between_threads (optional) runs after each thread's unwind: the watcher serves the stops
  // of its other processes there, so a long symbolization does not hold up their signals.
  Snapshot unwind_capture(const ProcessCapture& capture, const protocol::SnapshotOptions& options,
                          const std::function<void()>& between_threads = {});

 private:
  // A libdw session for pid, reused while the process (pid + start time) and its modules stay.
  // start_time: the captured process's (ProcessCapture::start_time), so a pid reused by another
  // process never gets the old one's cached unwinder.
  Result<ProcessUnwinder*> unwinder_for(pid_t pid, uint64_t start_time);

  struct CachedUnwinder {
    pid_t pid;
    uint64_t start_time;
    uint64_t maps_hash;
    std::unique_ptr<ProcessUnwinder> unwinder;
  };
  ElfCache elf_cache_;
  Symbolizer symbolizer_;
  std::list<CachedUnwinder> unwinders_;  // most recent first
  static constexpr size_t kMaxUnwinders = 8;
  std::chrono::milliseconds test_hold_{0};
};

}  // namespace dbg::worker
