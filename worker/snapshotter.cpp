#include "snapshotter.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "dbg/unique_fd.hpp"
#include "proc_info.hpp"

namespace dbg::worker {

namespace {

double now_us() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

// FNV-1a over the executable mappings of /proc/PID/maps: changes when a library is loaded or
// unloaded, which invalidates a cached libdw session.
uint64_t executable_maps_hash(pid_t pid) {
  UniqueFd fd(::open(("/proc/" + std::to_string(pid) + "/maps").c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return 0;
  std::string maps;
  char buf[65536];
  for (ssize_t n; (n = ::read(fd.get(), buf, sizeof buf)) > 0;) maps.append(buf, static_cast<size_t>(n));
  uint64_t h = 1469598103934665603ULL;
  size_t pos = 0;
  while (pos < maps.size()) {
    size_t eol = maps.find('\n', pos);
    if (eol == std::string::npos) eol = maps.size();
    // "start-end perms ...": perms[2] == 'x' marks code.
    size_t sp = maps.find(' ', pos);
    if (sp != std::string::npos && sp + 3 < eol && maps[sp + 3] == 'x') {
      for (size_t i = pos; i < eol; ++i) h = (h ^ static_cast<uint8_t>(maps[i])) * 1099511628211ULL;
    }
    pos = eol + 1;
  }
  return h;
}

}  // namespace

Snapshotter::Snapshotter() {
  // Never reach out to debuginfod servers from a debugger of production processes.
  ::unsetenv("DEBUGINFOD_URLS");
  if (const char* hold = std::getenv("DBG_WORKER_TEST_HOLD_MS")) test_hold_ = std::chrono::milliseconds(std::atoi(hold));
}

Result<ProcessUnwinder*> Snapshotter::unwinder_for(pid_t pid) {
  auto start = process_start_time(pid);
  if (!start) return Error{"process_gone", "process " + std::to_string(pid) + " exited"};
  uint64_t maps = executable_maps_hash(pid);
  for (auto it = unwinders_.begin(); it != unwinders_.end(); ++it) {
    if (it->pid != pid) continue;
    if (it->start_time == *start && it->maps_hash == maps) {
      unwinders_.splice(unwinders_.begin(), unwinders_, it);
      return unwinders_.front().unwinder.get();
    }
    unwinders_.erase(it);  // same pid, another process or other modules: start over
    break;
  }
  auto created = ProcessUnwinder::create(pid, elf_cache_);
  if (!created) return created.error();
  unwinders_.push_front(CachedUnwinder{pid, *start, maps, std::move(created.value())});
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
  const ProcessCapture& capture = captured.value();

  Snapshot snap;
  snap.pid = pid;
  snap.comm = capture.comm;
  snap.consistency = protocol::to_string(capture.consistency);
  snap.capture_us = capture.capture_us;

  double unwind_begin = now_us();
  uint64_t module_hits = elf_cache_.hits(), module_misses = elf_cache_.misses();
  auto unwinder = unwinder_for(pid);
  for (const auto& t : capture.threads) {
    ThreadStack ts;
    ts.tid = t.tid;
    ts.name = t.name;
    ts.state = t.state;
    ts.pause_us = t.pause_us;
    ts.error = t.error;
    if (t.have_registers && unwinder) {
      ProcessUnwinder* u = unwinder.value();
      UnwoundThread unwound = u->unwind(capture, t, options.max_depth);
      for (const auto& f : unwound.frames) {
        symbolizer_.symbolize(u->dwfl(), pid, f.pc, f.activation, options.source, ts.frames, snap.cache);
      }
      if (unwound.error && !ts.error) ts.error = unwound.error;
      if (unwound.ran_out_of_stack) ts.truncated = "stack_bytes";
      // The limit counts every frame shown, inlined ones included.
      if (unwound.hit_max_depth || static_cast<int>(ts.frames.size()) > options.max_depth) {
        ts.frames.resize(std::min(ts.frames.size(), static_cast<size_t>(options.max_depth)));
        ts.truncated = "max_depth";
      }
    } else if (t.have_registers && !ts.error) {
      ts.error = unwinder.error();
    }
    snap.threads.push_back(std::move(ts));
  }
  snap.cache.module_hits = elf_cache_.hits() - module_hits;
  snap.cache.module_misses = elf_cache_.misses() - module_misses;
  snap.unwind_us = now_us() - unwind_begin;
  return snap;
}

}  // namespace dbg::worker
