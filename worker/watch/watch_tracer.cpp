#include "worker/watch/watch_tracer.hpp"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <vector>

#include "dbg/clock.hpp"
#include "dbg/proc_stat.hpp"
#include "worker/capture/crash_stack.hpp"
#include "worker/capture/monotonic_clock.hpp"
#include "worker/capture/seized_capture.hpp"
#include "worker/capture/stopped_thread.hpp"
#include "worker/proc/proc_info.hpp"
#include "worker/ptrace/ptrace_call.hpp"
#include "worker/ptrace/thread_wait.hpp"
#include "worker/watch/watch_memory.hpp"
#include "worker/watch/watch_signals.hpp"

namespace dbg::worker {

namespace {

using Clock = std::chrono::steady_clock;

// How long the other threads of a crashing process get to stop for the capture. A thread in
// uninterruptible sleep may not stop at all; its stack is then reported as stop_timeout.
constexpr std::chrono::milliseconds kStopAllTimeout{500};

bool is_job_control_stop(int sig) { return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU; }

Result<void> seize_watching(pid_t tid) {
  // Options given with the seize itself: no separate request that could race with a clone.
  long options = PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC;
  if (::ptrace(PTRACE_SEIZE, tid, nullptr, reinterpret_cast<void*>(options)) == -1)
    return ptrace_error("PTRACE_SEIZE", tid, errno);
  return {};
}

// Restarts a stopped thread, delivering `sig` (0: none). ESRCH only means it died meanwhile.
void resume(pid_t tid, int sig) { ::ptrace(PTRACE_CONT, tid, nullptr, reinterpret_cast<void*>(static_cast<long>(sig))); }
void listen(pid_t tid) { ::ptrace(PTRACE_LISTEN, tid, nullptr, nullptr); }
void detach(pid_t tid, int sig) { (void)ptrace_detach(tid, sig); }

std::optional<unsigned long> event_message(pid_t tid) {
  unsigned long msg = 0;
  if (::ptrace(PTRACE_GETEVENTMSG, tid, nullptr, &msg) == -1) return std::nullopt;
  return msg;
}

// The signal to hand back when releasing or resuming a thread after this stop.
int pending_signal(int status) { return (status >> 16) == 0 ? WSTOPSIG(status) : 0; }

// Registers of a stopped thread, as every capture takes them (stopped_thread.hpp), and the stack
// copy of a crashing process's thread (crash_stack.hpp, shared with the core handler).
void copy_thread(ThreadCapture& t) {
  StackReader reader(kCrashStackBytes);
  if (!read_stopped_registers(t)) return;
  keep_stack(t, reader, copy_crash_stack(t, t.tid, reader));
}

}  // namespace

WatchTracer::WatchTracer(Emit emit) : emit_(std::move(emit)) {}

WatchTracer::~WatchTracer() { release_all(std::chrono::milliseconds(1000)); }

Result<nlohmann::json> WatchTracer::add(pid_t pid, const WatchOptions& options) {
  if (pid == ::getpid()) return Error{"permission_denied", "the watcher cannot watch itself"};
  if (processes_.count(pid)) return Error{"already_watched", "process " + std::to_string(pid) + " is already watched"};
  auto stat = process_stat(pid);
  if (!stat) return Error{"process_gone", "no process " + std::to_string(pid)};
  if ((stat->flags & procfs::kPfKthread) != 0) return Error{"kernel_thread", std::to_string(pid) + " is a kernel thread"};
  if (auto tgid = thread_group_of(pid); !tgid || *tgid != pid)
    return Error{"process_gone", std::to_string(pid) + " is not a process (a thread id, or it exited)"};

  Process& p = processes_[pid];
  p.pid = pid;
  p.options = options;
  p.comm = std::move(stat->comm);
  // Threads created while we seize: those made by an already seized thread are traced by the
  // kernel (TRACECLONE); those made by one not yet seized show up in the next listing.
  for (int round = 0; round < 100; ++round) {
    bool found_new = false;
    for (const auto& t : list_threads(pid)) {
      if (p.tids.count(t.tid) || t.state == 'Z' || t.state == 'X') continue;
      auto seized = seize_watching(t.tid);
      if (!seized) {
        if (seized.error().code == "thread_gone") continue;
        Error error = seized.error();
        release_now(p);
        return error;
      }
      adopt_thread(p, t.tid);
      found_new = true;
    }
    if (!found_new) break;
  }
  if (p.tids.empty()) {
    processes_.erase(pid);
    return Error{"process_gone", "process " + std::to_string(pid) + " exited"};
  }
  return nlohmann::json{{"pid", pid}, {"threads", p.tids.size()}, {"comm", p.comm}};
}

void WatchTracer::adopt_thread(Process& p, pid_t tid) {
  p.tids.insert(tid);
  owner_[tid] = p.pid;
}

void WatchTracer::forget_thread(Process& p, pid_t tid) {
  p.tids.erase(tid);
  owner_.erase(tid);
}

Result<void> WatchTracer::remove(pid_t pid, const std::string& request_id) {
  auto it = processes_.find(pid);
  if (it == processes_.end()) return Error{"not_watched", "process " + std::to_string(pid) + " is not watched"};
  Process& p = it->second;
  p.removing = true;
  p.remove_request_id = request_id;
  std::vector<pid_t> tids(p.tids.begin(), p.tids.end());
  for (pid_t tid : tids) {
    // A thread that cannot be interrupted is gone (or an exited leader waiting for its group):
    // its exit will be reaped by drain() as a thread of no watched process.
    if (::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) == -1) forget_thread(p, tid);
  }
  if (p.tids.empty()) finish_removal(p);
  return {};
}

void WatchTracer::release_now(Process& p) {
  std::vector<pid_t> tids(p.tids.begin(), p.tids.end());
  for (pid_t tid : tids) ::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr);
  auto deadline = Clock::now() + std::chrono::seconds(1);
  for (pid_t tid : tids) {
    auto w = wait_thread(tid, deadline);
    // A thread created meanwhile (clone event) is ours too and reports its own first stop;
    // drain() detaches it then, as a thread of no watched process.
    if (w.outcome == Waited::kStatus && WIFSTOPPED(w.status)) detach(tid, pending_signal(w.status));
    forget_thread(p, tid);
  }
  processes_.erase(p.pid);
}

Result<ProcessCapture> WatchTracer::capture(pid_t pid, size_t stack_bytes) {
  auto it = processes_.find(pid);
  if (it == processes_.end()) return Error{"not_watched", "process " + std::to_string(pid) + " is not watched"};
  Process& p = it->second;
  if (p.removing) return Error{"process_gone", "process " + std::to_string(pid) + " is being released"};
  if (p.crashed) return Error{"process_gone", "process " + std::to_string(pid) + " is dying of a crash"};
  SeizedCapture seized = capture_seized(pid, p.comm, p.tids, stack_bytes, kStopAllTimeout);
  // Every stop goes through handle(), which resumes it as the main loop would have. Signal
  // deliveries come last: one may be a crash, whose report stops the other threads again and
  // waits for them, so those must be running (their statuses here are already taken) by then.
  auto delivers_signal = [](int status) { return WIFSTOPPED(status) && (status >> 16) == 0; };
  // Whatever goes wrong in handle() (it emits lines, which allocate), the thread must not stay
  // stopped: then it is resumed plainly, keeping a group stop or a pending signal.
  auto hand_back = [this](const SeizedStop& stop) {
    try {
      handle(stop.tid, stop.status);
    } catch (...) {
      if (!WIFSTOPPED(stop.status)) return;
      int event = stop.status >> 16;
      if (event == PTRACE_EVENT_STOP && is_job_control_stop(WSTOPSIG(stop.status))) return listen(stop.tid);
      resume(stop.tid, pending_signal(stop.status));
    }
  };
  for (const auto& stop : seized.stops) {
    if (!delivers_signal(stop.status)) hand_back(stop);
  }
  double resumed = now_us();
  for (const auto& stop : seized.stops) {
    if (delivers_signal(stop.status)) hand_back(stop);
  }
  finish_seized(seized, resumed);
  return std::move(seized.capture);
}

void WatchTracer::drain() {
  for (;;) {
    int status = 0;
    pid_t tid = ::waitpid(-1, &status, __WALL | WNOHANG);
    if (tid <= 0) return;
    handle(tid, status);
  }
}

WatchTracer::WaitOutcome WatchTracer::wait_and_handle() {
  int status = 0;
  pid_t tid = ::waitpid(-1, &status, __WALL);
  if (tid > 0) {
    handle(tid, status);
    return WaitOutcome::kHandled;
  }
  return errno == ECHILD ? WaitOutcome::kNothingToWaitFor : WaitOutcome::kInterrupted;
}

void WatchTracer::release_all(std::chrono::milliseconds timeout) {
  std::vector<pid_t> pids;
  for (const auto& [pid, p] : processes_) {
    if (!p.removing) pids.push_back(pid);
  }
  for (pid_t pid : pids) (void)remove(pid, "");
  auto deadline = Clock::now() + timeout;
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  while (!processes_.empty() && Clock::now() < deadline) {
    drain();
    if (processes_.empty()) break;
    timespec ts{0, 20'000'000};
    ::sigtimedwait(&chld, nullptr, &ts);
  }
}

void WatchTracer::handle(pid_t tid, int status) {
  auto owner = owner_.find(tid);
  if (owner == owner_.end()) return handle_unknown(tid, status);
  Process& p = processes_.at(owner->second);
  if (WIFEXITED(status) || WIFSIGNALED(status)) {
    forget_thread(p, tid);
    // The leader is reported last (the kernel delays a leader's exit until its group is empty):
    // its status is the process's.
    if (tid == p.pid) return process_ended(p, status);
    if (p.removing && p.tids.empty()) return finish_removal(p);
    if (p.tids.empty()) {
      // The leader was never ours (it had already exited, a zombie waiting for its threads,
      // when the watch began): its status goes to the parent alone. End the watch without it.
      emit_(watch_ended_line(p.pid, p.crashed ? "crashed" : "exited", {{"status", nullptr}}));
      processes_.erase(p.pid);
    }
    return;
  }
  if (!WIFSTOPPED(status)) return;
  int sig = WSTOPSIG(status);
  int event = status >> 16;
  if (p.removing) {
    if (event == PTRACE_EVENT_CLONE) {
      // The new thread is attached to us already: release it too when it stops.
      if (auto child = event_message(tid)) adopt_thread(p, static_cast<pid_t>(*child));
    }
    // A group-stopped thread detached with no signal stays in its group stop (the kernel
    // re-arms it), as it would be without us.
    detach(tid, pending_signal(status));
    forget_thread(p, tid);
    if (p.tids.empty()) finish_removal(p);
    return;
  }
  switch (event) {
    case PTRACE_EVENT_CLONE:
      if (auto child = event_message(tid)) adopt_thread(p, static_cast<pid_t>(*child));
      resume(tid, 0);
      return;
    case PTRACE_EVENT_EXEC: {
      // Every other thread is gone and the exec'ing one now has the process id.
      std::vector<pid_t> stale(p.tids.begin(), p.tids.end());
      for (pid_t t : stale) forget_thread(p, t);
      adopt_thread(p, p.pid);
      p.comm = process_comm(p.pid);
      resume(tid, 0);
      return;
    }
    case PTRACE_EVENT_STOP:
      // A group stop reports the stopping signal; anything else (our interrupt, a new thread's
      // first stop, the wake-up after SIGCONT) reports SIGTRAP.
      if (is_job_control_stop(sig)) {
        listen(tid);
      } else {
        resume(tid, 0);
      }
      return;
    case 0:
      return on_signal(p, tid, sig);
    default:
      resume(tid, 0);
      return;
  }
}

void WatchTracer::handle_unknown(pid_t tid, int status) {
  // An exit of a thread we already let go, or of the watch server's doorbell child: reaped,
  // nothing to do.
  if (!WIFSTOPPED(status)) return;
  // A new thread's first stop can be reported before its creator's clone event; or a thread
  // of a process we just released, attached by a clone during the release.
  auto tgid = thread_group_of(tid);
  if (tgid) {
    if (auto it = processes_.find(*tgid); it != processes_.end()) {
      adopt_thread(it->second, tid);
      return handle(tid, status);
    }
  }
  detach(tid, pending_signal(status));
}

void WatchTracer::on_signal(Process& p, pid_t tid, int sig) {
  if (is_crash_signal(sig) && !p.crashed) {
    auto disposition = read_disposition(p.pid, tid, sig);
    if (disposition && !disposition->caught && !disposition->ignored) {
      p.crashed = true;
      try {
        report_crash(p, tid);
      } catch (const std::exception& e) {
        // The process must still die of its signal, whatever went wrong with the report.
        nlohmann::json ctx = {{"type", signal_name(sig)}, {"message", std::string("context capture failed: ") + e.what()},
                              {"pid", p.pid}, {"tid", tid}, {"timestamp_ms", dbg::unix_time_ms()}};
        emit_(crash_line(p.pid, ctx));
      }
    }
  }
  resume(tid, sig);
}

void WatchTracer::report_crash(Process& p, pid_t tid) {
  int64_t timestamp = dbg::unix_time_ms();
  siginfo_t info{};
  bool have_info = ::ptrace(PTRACE_GETSIGINFO, tid, nullptr, &info) != -1;

  double begin = now_us();
  ProcessCapture capture;
  capture.pid = p.pid;
  capture.comm = p.comm;
  capture.consistency = protocol::Consistency::kProcess;
  std::map<pid_t, ThreadInfo> info_by_tid;
  for (auto& t : list_threads(p.pid)) info_by_tid[t.tid] = t;
  auto describe = [&](pid_t t) {
    ThreadCapture c;
    c.tid = t;
    if (auto it = info_by_tid.find(t); it != info_by_tid.end()) {
      c.name = it->second.name;
      c.state = it->second.state;
    }
    return c;
  };
  capture.threads.push_back(describe(tid));
  capture.threads.front().state = 't';
  copy_thread(capture.threads.front());

  // Stop the others (bounded by max_threads), copy, and remember how each must be resumed.
  size_t max_others = static_cast<size_t>(std::max(0, p.options.max_threads - 1));
  std::vector<pid_t> others;
  size_t omitted = 0;
  for (pid_t t : p.tids) {
    if (t == tid) continue;
    if (others.size() < max_others) {
      others.push_back(t);
    } else {
      ++omitted;
    }
  }
  struct Resume {
    pid_t tid;
    enum { kCont, kListen, kNone } how;
    int sig;
  };
  std::vector<Resume> resumes;
  for (pid_t t : others) ::ptrace(PTRACE_INTERRUPT, t, nullptr, nullptr);
  auto deadline = Clock::now() + kStopAllTimeout;
  for (pid_t t : others) {
    ThreadCapture c = describe(t);
    auto w = wait_thread(t, deadline);
    if (w.outcome == Waited::kTimeout) {
      // Its interrupt stop arrives later and drain() resumes it.
      c.error = Error{"stop_timeout", "thread " + std::to_string(t) + " did not stop in time"};
    } else if (w.outcome == Waited::kGone || !WIFSTOPPED(w.status)) {
      c.error = Error{"thread_gone", "thread " + std::to_string(t) + " exited"};
      if (w.outcome == Waited::kStatus) forget_thread(p, t);
    } else {
      int event = w.status >> 16;
      int sig = WSTOPSIG(w.status);
      if (event == PTRACE_EVENT_CLONE) {
        if (auto child = event_message(t)) adopt_thread(p, static_cast<pid_t>(*child));
      }
      if (event == PTRACE_EVENT_STOP && is_job_control_stop(sig)) {
        resumes.push_back({t, Resume::kListen, 0});
      } else {
        // A signal that reached this thread meanwhile is delivered when it resumes; the
        // interrupt stop that is still due is resumed by drain().
        resumes.push_back({t, Resume::kCont, pending_signal(w.status)});
      }
      c.state = 't';
      copy_thread(c);
    }
    capture.threads.push_back(std::move(c));
  }
  capture.capture_us = now_us() - begin;

  CrashInput input;
  input.capture = &capture;
  input.signal = have_info ? info.si_signo : 0;
  input.code = have_info ? info.si_code : 0;
  input.has_fault_address = have_info && code_has_fault_address(info.si_signo, info.si_code);
  input.fault_address = input.has_fault_address ? reinterpret_cast<uint64_t>(info.si_addr) : 0;
  input.timestamp_ms = timestamp;
  input.omitted_threads = omitted;
  input.options = p.options;
  nlohmann::json context;
  try {
    context = builder_.build(input);
  } catch (...) {
    for (const auto& r : resumes) r.how == Resume::kListen ? listen(r.tid) : resume(r.tid, r.sig);
    throw;
  }
  for (const auto& r : resumes) r.how == Resume::kListen ? listen(r.tid) : resume(r.tid, r.sig);
  emit_(crash_line(p.pid, context));
}

void WatchTracer::process_ended(Process& p, int status) {
  pid_t pid = p.pid;
  if (WIFEXITED(status)) {
    int code = WEXITSTATUS(status);
    if (code != 0 && !p.removing) emit_(exit_line(pid, code, p.comm, dbg::unix_time_ms()));
    emit_(watch_ended_line(pid, "exited", {{"status", code}}));
  } else {
    int sig = WTERMSIG(status);
    emit_(watch_ended_line(pid, p.crashed ? "crashed" : "killed",
                           {{"signal", sig}, {"signal_name", signal_name(sig)}, {"core_dumped", WCOREDUMP(status) != 0}}));
  }
  if (p.removing && !p.remove_request_id.empty())
    emit_(protocol::result_line(p.remove_request_id, {{"pid", pid}, {"released", true}}));
  std::vector<pid_t> tids(p.tids.begin(), p.tids.end());
  for (pid_t t : tids) forget_thread(p, t);
  processes_.erase(pid);
}

void WatchTracer::finish_removal(Process& p) {
  pid_t pid = p.pid;
  if (!p.remove_request_id.empty()) emit_(protocol::result_line(p.remove_request_id, {{"pid", pid}, {"released", true}}));
  emit_(watch_ended_line(pid, "removed", nlohmann::json::object()));
  processes_.erase(pid);
}

}  // namespace dbg::worker
