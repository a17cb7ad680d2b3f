#include "worker/ptrace/tracee.hpp"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "worker/proc/proc_info.hpp"
#include "worker/ptrace/ptrace_call.hpp"
#include "worker/ptrace/thread_wait.hpp"

namespace dbg::worker {

namespace {

// Tracees whose interrupt stop was still pending when we gave up on them, with the process
// each belonged to (for release_if_exec_took_over when the tid vanishes).
struct Lingering {
  pid_t tid;
  pid_t tgid;  // 0 when unknown
};
std::vector<Lingering>& lingering() {
  static std::vector<Lingering> list;
  return list;
}

void linger(pid_t tid) { lingering().push_back({tid, thread_group_of(tid).value_or(0)}); }

// Interrupts pid and puts it on the lingering list if this process is (still) its tracer.
void interrupt_if_ours(pid_t pid) {
  if (tracer_pid(pid) != ::getpid()) return;
  auto& list = lingering();
  bool listed = std::any_of(list.begin(), list.end(), [pid](const Lingering& l) { return l.tid == pid; });
  if (listed) return;  // already on its way out
  // Not stopped by us any more (its interrupt, if any, was for the old tid): ask for a stop,
  // which release_lingering() turns into a detach.
  (void)::ptrace(PTRACE_INTERRUPT, pid, nullptr, nullptr);
  list.push_back({pid, pid});
}

bool is_job_control_stop(int sig) { return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU; }

}  // namespace

Result<Tracee> Tracee::seize(pid_t tid) {
  if (auto r = ptrace_seize(tid); !r) return r.error();
  return Tracee(tid);
}

Tracee::~Tracee() {
  switch (state_) {
    case State::kStopped:
      (void)detach();
      break;
    case State::kSeized: {
      // Seized but never interrupted: it is running, and a running tracee cannot be detached
      // (PTRACE_DETACH needs a stop). Interrupt, wait briefly, detach.
      if (interrupt() && wait_stop(std::chrono::milliseconds(100))) {
        (void)detach();
      } else if (state_ == State::kInterrupted) {
        linger(tid_);
      }
      break;
    }
    case State::kInterrupted:
      linger(tid_);
      break;
    case State::kGone:
    case State::kReleased:
      break;
  }
}

Result<void> Tracee::interrupt() {
  if (auto r = ptrace_interrupt(tid_); !r) {
    if (r.error().code == "thread_gone") state_ = State::kGone;
    return r;
  }
  state_ = State::kInterrupted;
  return {};
}

Result<void> Tracee::wait_stop(std::chrono::microseconds timeout) {
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    Waited w = wait_thread(tid_, start + timeout, start + stop_spin());
    if (w.outcome == Waited::kTimeout) {
      return Error{"stop_timeout", "thread " + std::to_string(tid_) + " did not stop within " +
                                       std::to_string(timeout.count() / 1000) + " ms (uninterruptible sleep?)"};
    }
    if (w.outcome == Waited::kGone) {
      if (w.error != ECHILD) return ptrace_error("waitpid", tid_, w.error);
      state_ = State::kGone;
      return Error{"thread_gone", "thread " + std::to_string(tid_) + " is no longer traceable"};
    }
    const int status = w.status;
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      state_ = State::kGone;
      return Error{"thread_gone", "thread " + std::to_string(tid_) + " exited during capture"};
    }
    if (WIFSTOPPED(status)) {
      int sig = WSTOPSIG(status);
      int event = status >> 16;
      state_ = State::kStopped;
      if (event == PTRACE_EVENT_STOP) {
        // An interrupt stop reports SIGTRAP; a group stop of a SEIZEd tracee reports the
        // stopping signal with PTRACE_EVENT_STOP (ptrace(2), "Group-stop").
        group_stop_ = is_job_control_stop(sig);
      } else {
        // A signal-delivery-stop won the race with our interrupt: keep the signal and
        // re-deliver it on detach, so the target sees exactly what it would have.
        signal_ = sig;
      }
      return {};
    }
  }
}

Result<user_regs_struct> Tracee::registers() const {
  user_regs_struct regs{};
  if (auto r = ptrace_get_regset(tid_, &regs, sizeof regs); !r) return r.error();
  return regs;
}

Result<void> Tracee::detach() {
  // A group-stopped thread must not get a signal re-injected; detaching leaves it in its group
  // stop because the kernel re-arms the stop when the group is still stopped.
  auto r = ptrace_detach(tid_, group_stop_ ? 0 : signal_);
  if (!r && r.error().code == "thread_gone") {
    // ESRCH: it left its stop because it is being killed (another thread's exec or exit_group).
    // Its zombie stays ours to reap, and until it is reaped an exec'ing process waits in D:
    // the lingering sweep's waitpid reaps it.
    linger(tid_);
  }
  state_ = (r || r.error().code == "thread_gone") ? State::kReleased : state_;
  return r;
}

void release_lingering() {
  auto& list = lingering();
  std::vector<pid_t> vanished_from;  // processes whose tracee vanished: maybe by an exec
  for (auto it = list.begin(); it != list.end();) {
    int status = 0;
    pid_t r = ::waitpid(it->tid, &status, __WALL | WNOHANG);
    if (r == it->tid && WIFSTOPPED(status)) {
      int sig = (status >> 16) == PTRACE_EVENT_STOP ? 0 : WSTOPSIG(status);
      (void)ptrace_detach(it->tid, sig);
      it = list.erase(it);
    } else if (r == -1 || (r == it->tid && (WIFEXITED(status) || WIFSIGNALED(status)))) {
      if (r == -1 && it->tgid > 0 && it->tgid != it->tid) vanished_from.push_back(it->tgid);
      it = list.erase(it);  // gone
    } else {
      // Not stopped yet. Ask again: an exec by the tracee itself clears a pending interrupt,
      // after which it would run on traced and never stop for us. A second interrupt while one
      // is pending changes nothing.
      (void)::ptrace(PTRACE_INTERRUPT, it->tid, nullptr, nullptr);
      ++it;
    }
  }
  for (pid_t pid : vanished_from) interrupt_if_ours(pid);
}

size_t lingering_count() { return lingering().size(); }

void release_if_exec_took_over(pid_t pid) {
  interrupt_if_ours(pid);
  release_lingering();
}

SigchldBlock::SigchldBlock() {
  sigset_t chld, old;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &chld, &old);
  was_blocked_ = sigismember(&old, SIGCHLD) == 1;
}

SigchldBlock::~SigchldBlock() {
  if (was_blocked_) return;
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  pthread_sigmask(SIG_UNBLOCK, &chld, nullptr);
}

}  // namespace dbg::worker
