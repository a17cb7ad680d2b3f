#pragma once
// WatchTracer: the ptrace side of `dbg-worker watch`. Holds many watched processes at once and
// handles every wait status of every thread of them (one waitpid(-1, __WALL) loop). Only the
// thread that created it may call it: ptrace requests must come from the tracing thread.
//
// Per process: every thread is PTRACE_SEIZEd with PTRACE_O_TRACECLONE (new threads are traced
// from their first instruction) and PTRACE_O_TRACEEXEC (an exec keeps the watch, on the new
// image). Forks are not followed: a child is another process, which a regex watch picks up.
// Staying out of the way:
//  - a signal is passed on with the same number (PTRACE_CONT with it), so handlers, ignores and
//    default actions happen as without us;
//  - a group stop (SIGSTOP, SIGTSTP, ...) is left in place with PTRACE_LISTEN, so the process
//    stays stopped until SIGCONT as without us;
//  - a crash signal (watch_signals.hpp) whose disposition is the default is reported: every
//    thread is stopped, registers and stacks copied, the context built and emitted, the other
//    threads resumed; then the signal is passed on and the process dies of it: the same wait
//    status for its parent, a core dump if it would have dumped one. A signal the process
//    handles or ignores is passed on and not reported.
//  - exits are reaped from us (as tracer) so that the real parent is notified.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "dbg/error.hpp"
#include "worker/capture/process_capture.hpp"
#include "worker/watch/watch_crash_context.hpp"
#include "worker/watch/watch_protocol.hpp"

namespace dbg::worker {

class WatchTracer {
 public:
  // emit: one protocol line (without '\n'); called on the tracing thread.
  using Emit = std::function<void(const std::string& line)>;
  explicit WatchTracer(Emit emit);
  ~WatchTracer();
  WatchTracer(const WatchTracer&) = delete;
  WatchTracer& operator=(const WatchTracer&) = delete;

  // Seizes every thread of pid. {"pid","threads","comm"} or an Error (bad_request,
  // process_gone, kernel_thread, already_watched, already_traced, permission_denied).
  Result<nlohmann::json> add(pid_t pid, const WatchOptions& options);
  // Starts releasing pid (PTRACE_INTERRUPT each thread, PTRACE_DETACH at its stop). When the last
  // thread is released the answer for request_id (if not empty) and watch_ended "removed" are
  // emitted, possibly before this returns. Error not_watched.
  Result<void> remove(pid_t pid, const std::string& request_id);
  // A `process`-consistency capture of watched pid on the threads we hold (seized_capture.hpp):
  // every thread stopped at one instant, copied, then resumed exactly as it was (a signal that
  // was being delivered is still delivered, a fatal one still reported as a crash first).
  // Error not_watched, or process_gone while it is being released or dying of a crash.
  Result<ProcessCapture> capture(pid_t pid, size_t stack_bytes);
  // Handles every wait status pending now (never blocks).
  void drain();
  // Blocks in waitpid(-1) until one wait status of any child or tracee arrives, and handles
  // it. The watcher's main loop: one syscall to wake up and one (PTRACE_CONT) to pass a
  // signal on, the shortest stop a watched process can get.
  enum class WaitOutcome { kHandled, kInterrupted, kNothingToWaitFor };
  WaitOutcome wait_and_handle();
  // Releases every watched process, waiting for their threads to stop at most `timeout`.
  void release_all(std::chrono::milliseconds timeout);
  size_t watched() const { return processes_.size(); }

 private:
  struct Process {
    pid_t pid = 0;
    std::string comm;
    WatchOptions options;
    std::set<pid_t> tids;
    bool crashed = false;   // a crash was reported; its signal is on its way
    bool removing = false;  // releasing: every stop now detaches
    std::string remove_request_id;
  };
  void handle(pid_t tid, int status);
  void handle_unknown(pid_t tid, int status);
  void on_signal(Process& p, pid_t tid, int sig);
  void report_crash(Process& p, pid_t tid);
  void adopt_thread(Process& p, pid_t tid);
  void forget_thread(Process& p, pid_t tid);
  void process_ended(Process& p, int status);
  void finish_removal(Process& p);
  void release_now(Process& p);  // rollback of a failed add: synchronous

  Emit emit_;
  std::map<pid_t, Process> processes_;
  std::unordered_map<pid_t, pid_t> owner_;  // tid -> pid of the process it belongs to
  CrashContextBuilder builder_;
};

}  // namespace dbg::worker
