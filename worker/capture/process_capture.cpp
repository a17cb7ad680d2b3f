#include "worker/capture/process_capture.hpp"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "worker/capture/monotonic_clock.hpp"
#include "worker/capture/stopped_thread.hpp"
#include "worker/proc/proc_info.hpp"
#include "worker/ptrace/ptrace_call.hpp"
#include "worker/ptrace/tracee.hpp"

namespace dbg::worker {

namespace {

// Registers + stack copy of a stopped tracee, into `reader`; moved into `t` after the pause.
size_t read_stopped(Tracee& tracee, ThreadCapture& t, StackReader& reader) {
  if (!tracee.stopped()) return 0;
  return read_stopped_thread(t, reader);
}

void capture_one_thread(ThreadCapture& t, StackReader& reader, const CaptureOptions& options) {
  auto seized = Tracee::seize(t.tid);
  if (!seized) {
    t.error = seized.error();
    return;
  }
  Tracee tracee = std::move(seized.value());
  double t0 = now_us();
  if (auto r = tracee.interrupt(); !r) {
    t.error = r.error();
    return;
  }
  if (auto r = tracee.wait_stop(options.stop_timeout); !r) {
    t.error = r.error();
    t.pause_us = now_us() - t0;
    return;
  }
  t.stop_wait_us = now_us() - t0;
  size_t copied = read_stopped(tracee, t, reader);
  if (options.test_hold.count() > 0) std::this_thread::sleep_for(options.test_hold);
  (void)tracee.detach();
  t.pause_us = now_us() - t0;
  keep_stack(t, reader, copied);
}

// The profiler's tick: up to `window` threads are asked to stop at once, and each one is copied
// and released as soon as its stop is seen, when the next one is asked. Waits for threads to
// stop (a runnable thread on a busy machine first waits for a CPU, a sleeping one must be woken)
// then overlap, so a tick lasts about 1/window of their sum, while a thread that stopped waits
// for at most window - 1 others' copies before it is released. A window of all threads would
// make the last ones wait for every copy before them (tens of ms when the target's own threads
// keep the worker from a CPU). One stack buffer serves all: copies happen one after another.
void capture_overlapped(std::vector<ThreadCapture>& threads, StackReader& reader, const CaptureOptions& options,
                        size_t window, double start_none_after_us) {
  std::vector<std::optional<Tracee>> tracees(threads.size());
  std::vector<double> start(threads.size(), 0);
  size_t next = 0, in_flight = 0;
  const double timeout_us = static_cast<double>(options.stop_timeout.count());
  // Seize and interrupt the next threads until the window is full.
  auto refill = [&] {
    while (in_flight < window && next < threads.size()) {
      size_t i = next++;
      if (threads[i].error) continue;
      if (start_none_after_us > 0 && now_us() > start_none_after_us) {
        threads[i].error = Error{"not_sampled", "the capture's time was up before this thread's turn"};
        continue;
      }
      auto seized = Tracee::seize(threads[i].tid);
      if (!seized) {
        threads[i].error = seized.error();
        continue;
      }
      tracees[i].emplace(std::move(seized.value()));
      start[i] = now_us();
      if (auto r = tracees[i]->interrupt(); !r) {
        threads[i].error = r.error();
        tracees[i].reset();
        continue;
      }
      ++in_flight;
    }
  };
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  refill();
  while (in_flight > 0) {
    bool progress = false;
    for (size_t i = 0; i < next; ++i) {
      if (!tracees[i]) continue;
      ThreadCapture& t = threads[i];
      // A zero timeout makes wait_stop one waitpid(WNOHANG): "stop_timeout" means not yet.
      auto r = tracees[i]->wait_stop(std::chrono::microseconds(0));
      if (!r && r.error().code == "stop_timeout") {
        if (now_us() - start[i] <= timeout_us) continue;
        t.error = Error{"stop_timeout", "thread " + std::to_string(t.tid) + " did not stop within " +
                                            std::to_string(options.stop_timeout.count() / 1000) + " ms"};
        t.pause_us = now_us() - start[i];
      } else if (r) {
        t.stop_wait_us = now_us() - start[i];
        size_t copied = read_stopped(*tracees[i], t, reader);
        if (options.test_hold.count() > 0) std::this_thread::sleep_for(options.test_hold);
        (void)tracees[i]->detach();
        t.pause_us = now_us() - start[i];
        keep_stack(t, reader, copied);
      } else {
        t.error = r.error();
        t.pause_us = now_us() - start[i];
      }
      tracees[i].reset();  // a tracee that never stopped goes to the lingering list
      --in_flight;
      progress = true;
    }
    refill();
    if (!progress && in_flight > 0) {
      // Every stop is reported with a SIGCHLD (blocked, so it queues): sleep until one comes.
      timespec nap{0, 200'000};
      ::sigtimedwait(&chld, nullptr, &nap);
    }
  }
}

// `process` consistency: stop all, copy all, resume all — one instant for the whole process.
void capture_all_at_once(std::vector<ThreadCapture>& threads, const CaptureOptions& options) {
  std::vector<std::optional<Tracee>> tracees(threads.size());
  std::vector<double> start(threads.size(), 0);
  std::vector<size_t> copied(threads.size(), 0);
  // One buffer per thread: all copies are taken before anyone resumes.
  std::vector<StackReader> readers;
  readers.reserve(threads.size());
  for (size_t i = 0; i < threads.size(); ++i) readers.emplace_back(options.stack_bytes);
  for (size_t i = 0; i < threads.size(); ++i) {
    auto seized = Tracee::seize(threads[i].tid);
    if (!seized) {
      threads[i].error = seized.error();
      continue;
    }
    tracees[i].emplace(std::move(seized.value()));
  }
  for (size_t i = 0; i < threads.size(); ++i) {
    if (!tracees[i]) continue;
    start[i] = now_us();
    if (auto r = tracees[i]->interrupt(); !r) threads[i].error = r.error();
  }
  for (size_t i = 0; i < threads.size(); ++i) {
    if (!tracees[i] || threads[i].error) continue;
    if (auto r = tracees[i]->wait_stop(options.stop_timeout); !r) threads[i].error = r.error();
  }
  for (size_t i = 0; i < threads.size(); ++i) {
    if (tracees[i] && tracees[i]->stopped()) copied[i] = read_stopped(*tracees[i], threads[i], readers[i]);
  }
  read_mutex_owners(threads);  // still inside the one instant
  if (options.test_hold.count() > 0) std::this_thread::sleep_for(options.test_hold);
  for (size_t i = 0; i < threads.size(); ++i) {
    if (!tracees[i]) continue;
    if (tracees[i]->stopped()) (void)tracees[i]->detach();
    threads[i].pause_us = now_us() - start[i];
    tracees[i].reset();  // releases a tracee that never stopped (lingering list)
  }
  for (size_t i = 0; i < threads.size(); ++i) keep_stack(threads[i], readers[i], copied[i]);
}

}  // namespace

ThreadCapturer::ThreadCapturer(size_t stack_bytes) : reader_(std::make_unique<StackReader>(stack_bytes)) {}
ThreadCapturer::~ThreadCapturer() = default;

CaptureSchedReport ThreadCapturer::capture(std::vector<ThreadCapture>& threads, const CaptureOptions& options,
                                           double start_none_after_us) {
  release_lingering();
  SigchldBlock block_sigchld;
  static const size_t window = std::clamp<long>(::sysconf(_SC_NPROCESSORS_ONLN), 1, 8);
  CapturePriority priority;
  capture_overlapped(threads, *reader_, options, window, start_none_after_us);
  return priority.report();
}

Result<ProcessCapture> capture_process(pid_t pid, const CaptureOptions& options) {
  if (pid == ::getpid()) return Error{"permission_denied", "a worker cannot capture itself"};
  auto stat = process_stat(pid);
  if (!stat) return Error{"process_gone", "no process " + std::to_string(pid)};
  if ((stat->flags & procfs::kPfKthread) != 0) return Error{"kernel_thread", std::to_string(pid) + " is a kernel thread"};

  ProcessCapture capture;
  capture.pid = pid;
  capture.comm = std::move(stat->comm);
  capture.start_time = stat->start_time;
  capture.consistency = options.consistency;
  auto threads = list_threads(pid);
  if (threads.empty()) return Error{"process_gone", "process " + std::to_string(pid) + " exited"};
  bool all_zombie = std::all_of(threads.begin(), threads.end(), [](const ThreadInfo& t) { return t.state == 'Z' || t.state == 'X'; });
  if (all_zombie) return Error{"zombie", "process " + std::to_string(pid) + " is a zombie"};

  for (auto& info : threads) {
    ThreadCapture t;
    t.tid = info.tid;
    t.name = std::move(info.name);
    t.state = info.state;
    // A zombie thread (exited leader of a live process) has no user state left to capture.
    if (t.state == 'Z' || t.state == 'X') t.error = Error{"zombie", "thread " + std::to_string(t.tid) + " has exited"};
    capture.threads.push_back(std::move(t));
  }

  release_lingering();
  SigchldBlock block_sigchld;
  // The whole window, every thread: the class is switched twice per process, not per thread, and
  // a busy host cannot take the CPU between one thread's release and the next one's interrupt.
  std::optional<CapturePriority> priority(std::in_place);
  double begin = now_us();
  if (options.consistency == protocol::Consistency::kProcess) {
    std::vector<ThreadCapture> live;
    std::vector<size_t> index;
    for (size_t i = 0; i < capture.threads.size(); ++i) {
      if (!capture.threads[i].error) index.push_back(i);
    }
    for (size_t i : index) live.push_back(std::move(capture.threads[i]));
    capture_all_at_once(live, options);
    for (size_t k = 0; k < index.size(); ++k) capture.threads[index[k]] = std::move(live[k]);
  } else {
    StackReader reader(options.stack_bytes);  // reused: one thread is stopped at a time
    for (auto& t : capture.threads) {
      if (!t.error) capture_one_thread(t, reader, options);
    }
  }
  capture.capture_us = now_us() - begin;
  capture.sched = priority->report();
  priority.reset();  // back to the normal class before anything that is not the capture
  // A thread that vanished, or did not stop in time, may be one that exec'd meanwhile.
  bool thread_went_away = std::any_of(capture.threads.begin(), capture.threads.end(), [](const ThreadCapture& t) {
    return t.error && (t.error->code == "thread_gone" || t.error->code == "stop_timeout");
  });
  if (thread_went_away) release_if_exec_took_over(pid);

  bool none = std::none_of(capture.threads.begin(), capture.threads.end(), [](const ThreadCapture& t) { return t.have_registers; });
  if (none) {
    if (!process_exists(pid)) return Error{"process_gone", "process " + std::to_string(pid) + " exited during capture"};
    // Every thread failed the same way (e.g. EPERM): report it for the process.
    const auto& first = capture.threads.front();
    if (first.error && (first.error->code == "permission_denied" || first.error->code == "already_traced"))
      return *first.error;
  }
  return capture;
}

}  // namespace dbg::worker
