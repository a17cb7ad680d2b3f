#include "worker/core/core_capture.hpp"

#include <dirent.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <sstream>

#include "worker/capture/crash_stack.hpp"
#include "worker/capture/monotonic_clock.hpp"
#include "worker/capture/stopped_thread.hpp"
#include "worker/core/core_config.hpp"
#include "worker/proc/proc_info.hpp"

namespace dbg::worker::core {

namespace {

// Innermost-namespace tid -> initial-namespace tid, from the last and first numbers of each
// thread's "NSpid:" line.
std::map<pid_t, pid_t> namespace_tids(pid_t pid) {
  std::map<pid_t, pid_t> out;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    auto status = read_small_file(dir + "/" + e->d_name + "/status", 64 * 1024);
    if (!status) continue;
    auto at = status->find("\nNSpid:");
    if (at == std::string::npos) continue;
    std::istringstream line(status->substr(at + 7, status->find('\n', at + 1) - at - 7));
    long first = 0, last = 0, v = 0;
    bool any = false;
    while (line >> v) {
      if (!any) first = v;
      last = v;
      any = true;
    }
    if (any && first > 0 && last > 0) out[static_cast<pid_t>(last)] = static_cast<pid_t>(first);
  }
  ::closedir(d);
  return out;
}

}  // namespace

CoreCapture capture_from_core(const CrashArgs& args, const CoreNotes& notes, const std::string& comm,
                              uint64_t start_time, int max_threads) {
  const double begin = now_us();
  CoreCapture out;
  ProcessCapture& capture = out.capture;
  capture.pid = args.pid;
  capture.comm = comm;
  capture.start_time = start_time;
  // Every thread was stopped by the kernel at one instant, as the watch's `process` capture.
  capture.consistency = protocol::Consistency::kProcess;
  if (notes.threads.empty()) return out;

  size_t crashing = 0;
  for (size_t i = 0; i < notes.threads.size(); ++i) {
    if (notes.threads[i].tid == args.ns_tid) {
      crashing = i;
      break;
    }
  }
  // The others by thread id, as the watch lists them (its set of held tids).
  std::vector<size_t> others;
  for (size_t i = 0; i < notes.threads.size(); ++i) {
    if (i != crashing) others.push_back(i);
  }
  std::stable_sort(others.begin(), others.end(),
                   [&](size_t a, size_t b) { return notes.threads[a].tid < notes.threads[b].tid; });
  std::vector<size_t> order{crashing};
  order.insert(order.end(), others.begin(), others.end());
  const size_t keep = std::min(order.size(), static_cast<size_t>(std::max(1, max_threads)));
  out.omitted_threads = order.size() - keep;

  // Same namespace (%p == %P): the notes' ids are already the global ones.
  const bool same_namespace = args.ns_pid == args.pid;
  std::map<pid_t, pid_t> global = same_namespace ? std::map<pid_t, pid_t>{} : namespace_tids(args.pid);
  std::map<pid_t, ThreadInfo> info;
  for (auto& t : list_threads(args.pid)) info[t.tid] = t;

  StackReader reader(kCrashStackBytes);
  for (size_t k = 0; k < keep; ++k) {
    const CoreThreadNote& note = notes.threads[order[k]];
    ThreadCapture t;
    std::optional<pid_t> tid;
    if (k == 0) {
      tid = args.tid;  // %I: the kernel names the crashing thread's global id itself
    } else if (same_namespace) {
      tid = note.tid;
    } else if (auto it = global.find(note.tid); it != global.end()) {
      tid = it->second;
    }
    t.tid = tid.value_or(note.tid);
    if (auto it = tid ? info.find(*tid) : info.end(); it != info.end()) {
      t.name = it->second.name;
      t.state = it->second.state;
    }
    t.regs = note.regs;
    t.have_registers = true;
    keep_stack(t, reader, copy_crash_stack(t, args.pid, reader));
    capture.threads.push_back(std::move(t));
  }
  capture.capture_us = now_us() - begin;
  return out;
}

}  // namespace dbg::worker::core
