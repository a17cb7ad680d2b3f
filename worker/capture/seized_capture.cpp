#include "worker/capture/seized_capture.hpp"

#include <sys/ptrace.h>
#include <sys/wait.h>

#include <cerrno>
#include <map>

#include "worker/capture/monotonic_clock.hpp"
#include "worker/capture/stopped_thread.hpp"
#include "worker/proc/proc_info.hpp"
#include "worker/ptrace/ptrace_call.hpp"
#include "worker/ptrace/thread_wait.hpp"

namespace dbg::worker {

SeizedCapture capture_seized(pid_t pid, const std::string& comm, const std::set<pid_t>& tids, size_t stack_bytes,
                             std::chrono::milliseconds stop_timeout) {
  SeizedCapture out;
  ProcessCapture& capture = out.capture;
  capture.pid = pid;
  capture.comm = comm;
  capture.consistency = protocol::Consistency::kProcess;
  if (auto start = process_start_time(pid)) capture.start_time = *start;

  // Names and states as seen before anyone is stopped, for the threads we hold.
  std::map<pid_t, ThreadInfo> listed;
  for (auto& info : list_threads(pid)) listed[info.tid] = std::move(info);
  for (pid_t tid : tids) {
    ThreadCapture t;
    t.tid = tid;
    if (auto it = listed.find(tid); it != listed.end()) {
      t.name = it->second.name;
      t.state = it->second.state;
    }
    // An exited leader waiting for its group has no user state, and never stops.
    if (t.state == 'Z' || t.state == 'X') t.error = Error{"zombie", "thread " + std::to_string(tid) + " has exited"};
    capture.threads.push_back(std::move(t));
  }
  const size_t n = capture.threads.size();
  out.interrupted_at_us.assign(n, 0);
  std::vector<size_t> copied(n, 0);
  std::vector<bool> stopped(n, false);
  // One buffer per thread: all copies are taken before anyone resumes.
  std::vector<StackReader> readers;
  readers.reserve(n);
  for (size_t i = 0; i < n; ++i) readers.emplace_back(stack_bytes);

  out.stops.reserve(n);  // no allocation (so no exception) between the first stop and the hand-back
  double begin = now_us();
  for (size_t i = 0; i < n; ++i) {
    ThreadCapture& t = capture.threads[i];
    if (t.error) continue;
    out.interrupted_at_us[i] = now_us();
    if (::ptrace(PTRACE_INTERRUPT, t.tid, nullptr, nullptr) == -1) t.error = ptrace_error("PTRACE_INTERRUPT", t.tid, errno);
  }
  auto deadline = std::chrono::steady_clock::now() + stop_timeout;
  for (size_t i = 0; i < n; ++i) {
    ThreadCapture& t = capture.threads[i];
    if (t.error) continue;
    Waited w = wait_thread(t.tid, deadline);
    if (w.outcome == Waited::kTimeout) {
      t.error = Error{"stop_timeout", "thread " + std::to_string(t.tid) + " did not stop within " +
                                          std::to_string(stop_timeout.count()) + " ms"};
      continue;
    }
    if (w.outcome == Waited::kGone) {
      t.error = Error{"thread_gone", "thread " + std::to_string(t.tid) + " exited"};
      continue;
    }
    out.stops.push_back({t.tid, w.status});
    if (!WIFSTOPPED(w.status)) {
      t.error = Error{"thread_gone", "thread " + std::to_string(t.tid) + " exited"};
      continue;
    }
    // Whatever stop it is (our interrupt, a group stop, a signal about to be delivered, a clone
    // or exec event), the thread is stopped now, and its registers are where it is.
    stopped[i] = true;
  }
  for (size_t i = 0; i < n; ++i) {
    if (stopped[i]) {
      copied[i] = read_stopped_thread(capture.threads[i], readers[i]);
    }
  }
  read_mutex_owners(capture.threads);  // still inside the one instant
  capture.capture_us = now_us() - begin;
  out.readers = std::move(readers);
  out.copied = std::move(copied);
  return out;
}

void finish_seized(SeizedCapture& seized, double resumed_at_us) {
  auto& threads = seized.capture.threads;
  // capture_us as the snapshot jobs measure it: first interrupt -> last resume.
  double first = 0;
  for (double at : seized.interrupted_at_us) {
    if (at > 0 && (first == 0 || at < first)) first = at;
  }
  if (first > 0) seized.capture.capture_us = resumed_at_us - first;
  for (size_t i = 0; i < threads.size(); ++i) {
    if (seized.interrupted_at_us[i] > 0) threads[i].pause_us = resumed_at_us - seized.interrupted_at_us[i];
    if (i < seized.readers.size()) keep_stack(threads[i], seized.readers[i], seized.copied[i]);
  }
  seized.readers.clear();
  seized.copied.clear();
}

}  // namespace dbg::worker
