#include "worker/profile/profile_sampler.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <cstdlib>
#include <map>
#include <memory>

#include "dbg/unique_fd.hpp"
#include "worker/capture/process_capture.hpp"
#include "worker/proc/proc_info.hpp"
#include "worker/profile/perf_sampler.hpp"
#include "worker/profile/profile_clock.hpp"
#include "worker/profile/profile_governor.hpp"
#include "worker/profile/profile_locations.hpp"
#include "worker/profile/profile_samples.hpp"
#include "worker/profile/profile_thread_activity.hpp"
#include "worker/profile/profile_unwinder.hpp"
#include "worker/ptrace/tracee.hpp"
#include "worker/unwind/process_unwinder.hpp"

namespace dbg::worker {

namespace {

constexpr double kListThreadsEvery = 0.1;  // s: new threads join within this, exited ones leave
constexpr double kProgressEvery = 1.0;      // s
constexpr double kPollStopEvery = 0.02;     // s

void sleep_s(double s) {
  if (s <= 0) return;
  timespec ts{static_cast<time_t>(s), static_cast<long>((s - static_cast<double>(static_cast<time_t>(s))) * 1e9)};
  ::nanosleep(&ts, nullptr);
}

// While a profile runs, the worker asks for a larger CPU share (nice -10) when it may: a target
// with more runnable threads than CPUs would otherwise leave it a sliver of a CPU, and every
// tick (wait for stops, copy, unwind) would stretch by that factor. Our CPU use is bounded by
// the sampling rate anyway. Without CAP_SYS_NICE the call fails and nothing changes.
class CpuPriorityBoost {
 public:
  CpuPriorityBoost() {
    errno = 0;
    int old = ::getpriority(PRIO_PROCESS, 0);
    if (errno == 0 && old > kBoosted && ::setpriority(PRIO_PROCESS, 0, kBoosted) == 0) {
      old_ = old;
      boosted_ = true;
    }
  }
  ~CpuPriorityBoost() {
    if (boosted_) ::setpriority(PRIO_PROCESS, 0, old_);
  }
  CpuPriorityBoost(const CpuPriorityBoost&) = delete;
  CpuPriorityBoost& operator=(const CpuPriorityBoost&) = delete;

 private:
  static constexpr int kBoosted = -10;
  int old_ = 0;
  bool boosted_ = false;
};

struct ThreadState {
  uint32_t index = 0;             // into the profile's thread table
  std::vector<uint32_t> last_stack;
  bool have_stack = false;
  uint64_t cpu_at_last_sample = 0;  // ns; CPU used since is what the next sample stands for
  // At the last capture: utime+stime and where it was blocked ("" when it was running).
  uint64_t ticks_at_capture = 0;
  std::string syscall_at_capture;
};

// One profile run: the state that lives from the first tick to the result.
class ProfileRun {
 public:
  ProfileRun(pid_t pid, const ProfileOptions& options, const ProfileHooks& hooks, ElfCache& elf_cache, Symbolizer& symbolizer)
      : pid_(pid), options_(options), hooks_(hooks), unwinder_(pid, elf_cache), activity_(pid),
        capturer_(options.stack_bytes), governor_(options.hz, options.max_overhead_pct),
        locations_(symbolizer, options.source), buffer_(options.max_bytes) {
    capture_options_.stack_bytes = options.stack_bytes;
    capture_options_.consistency = protocol::Consistency::kThread;
  }

  Result<Profile> run();

 private:
  double elapsed() const { return monotonic_s() - start_; }
  void refresh_threads(double now);
  // What one tick will do: threads to count again without a pause, threads to pause.
  struct Plan {
    struct Reuse {
      pid_t tid;
      uint64_t cpu_ns;
    };
    std::vector<Reuse> reuse;
    std::vector<ThreadCapture> capture;
    std::vector<uint64_t> capture_cpu;     // cpu_ns read just before
    std::vector<uint64_t> capture_ticks;   // utime+stime read just before
    std::vector<std::string> capture_syscall;
    size_t live = 0;
  };
  Plan plan(double now);
  Result<void> execute(double now, Plan& plan);
  // Waits for `when` (seconds since start); false when the profile should end first.
  bool wait_until(double when);
  void report_progress(double now);
  Profile result(double end);

  pid_t pid_;
  const ProfileOptions& options_;
  const ProfileHooks& hooks_;
  ProfileUnwinder unwinder_;
  ThreadActivityReader activity_;
  ThreadCapturer capturer_;
  CaptureOptions capture_options_;
  OverheadGovernor governor_;
  LocationTable locations_;
  SampleBuffer buffer_;

  std::string comm_;
  std::optional<uint64_t> start_time_;  // the process's, in clock ticks since boot
  double start_ = 0;
  int64_t start_unix_ns_ = 0;
  std::vector<pid_t> tids_;
  std::map<pid_t, ThreadState> threads_;
  std::vector<ProfileThread> thread_table_;
  double listed_at_ = -1, progress_at_ = 0;
  uint64_t ticks_ = 0, captured_ = 0, reused_ = 0, failed_ = 0;
  double pause_us_max_ = 0, pause_us_total_ = 0, stop_wait_us_total_ = 0;
  std::string stop_reason_ = "duration";
  bool any_capture_ok_ = false;
  CaptureSchedReport capture_sched_;  // of the last tick that stopped a thread
};

void ProfileRun::refresh_threads(double now) {
  if (listed_at_ >= 0 && now - listed_at_ < kListThreadsEvery) return;
  listed_at_ = now;
  // Same pid, another start time: the target exited and the pid was reused. Not ours to sample.
  if (process_start_time(pid_) != start_time_) {
    tids_.clear();
    return;
  }
  tids_ = list_tids(pid_);
  activity_.retain(tids_);
  for (auto it = threads_.begin(); it != threads_.end();) {
    it = std::binary_search(tids_.begin(), tids_.end(), it->first) ? std::next(it) : threads_.erase(it);
  }
}

ProfileRun::Plan ProfileRun::plan(double now) {
  refresh_threads(now);
  Plan plan;
  for (pid_t tid : tids_) {
    auto act = activity_.read(tid);
    if (!act || act->state == 'Z' || act->state == 'X') continue;
    ++plan.live;
    auto [it, is_new] = threads_.try_emplace(tid);
    ThreadState& ts = it->second;
    if (is_new) {
      // A tid seen before (a thread that left and came back to our list) keeps its table row.
      auto row = std::find_if(thread_table_.begin(), thread_table_.end(), [&](const ProfileThread& t) { return t.tid == tid; });
      if (row == thread_table_.end()) {
        thread_table_.push_back(ProfileThread{tid, thread_name(pid_, tid), 0});
        row = thread_table_.end() - 1;
      }
      ts.index = static_cast<uint32_t>(row - thread_table_.begin());
      ts.cpu_at_last_sample = act->cpu_ns;
    }
    const bool running = act->state == 'R';
    // Idle threads left out: a thread that is not running is not sampled; the CPU it used since
    // its last sample stays with it until its next one.
    if (!options_.include_idle && !running) continue;
    // Asleep, no CPU (utime+stime) since its last pause, and blocked in the same system call at
    // the same user sp and pc: it cannot have another user stack; count that one again without
    // pausing it. Why not schedstat's exact runtime here: our own pause wakes the thread (to
    // stop, and again to restart its system call after we detach), which costs it microseconds
    // of CPU, so an exact clock would never see an idle thread as idle. The syscall line is the
    // exact part of the test: a thread that ran, even for less than a clock tick, is blocked
    // elsewhere, or with another sp or pc, afterwards, or it is back where its stack was.
    if (ts.have_stack && !running && !act->syscall.empty() && act->cpu_ticks == ts.ticks_at_capture &&
        act->syscall == ts.syscall_at_capture) {
      plan.reuse.push_back({tid, act->cpu_ns});
      continue;
    }
    ThreadCapture t;
    t.tid = tid;
    t.state = act->state;
    plan.capture.push_back(std::move(t));
    plan.capture_cpu.push_back(act->cpu_ns);
    plan.capture_ticks.push_back(act->cpu_ticks);
    plan.capture_syscall.push_back(std::move(act->syscall));
  }
  return plan;
}

Result<void> ProfileRun::execute(double now, Plan& plan) {
  unwinder_.refresh(now);
  ++ticks_;
  for (const auto& r : plan.reuse) {
    ThreadState& ts = threads_.at(r.tid);
    buffer_.add(ts.index, ts.last_stack, r.cpu_ns - std::min(r.cpu_ns, ts.cpu_at_last_sample));
    ts.cpu_at_last_sample = r.cpu_ns;
    ++reused_;
  }

  // The only part of the tick during which target threads are stopped. What is charged to the
  // budget is what each thread lost: for a thread that was running or runnable, the whole pause,
  // interrupt to resume (until it stops it is not doing its own work: a running thread takes the
  // interrupt, a queued one spends its next turn on the CPU stopping); for a sleeping one, only
  // the time it was stopped (it would have slept through the wait for its stop anyway).
  double pause_s = 0;
  size_t paused = 0;  // threads actually stopped (the budget may leave some for a later tick)
  if (!plan.capture.empty()) {
    // A tick never runs past the profile's end: on a machine the target's own threads saturate,
    // waiting for each thread to stop can take long.
    // Nor past what the budget still allows: up to `window` threads are stopped at once, so a
    // tick that lasts T charges up to window x T; once the slack is spent the remaining threads
    // are left for a later tick ("not_sampled"). Without it one tick over many queued threads on
    // a saturated host can spend a whole profile's budget (worker_profile_test, 64 threads).
    static const double window = std::clamp<double>(static_cast<double>(::sysconf(_SC_NPROCESSORS_ONLN)), 1, 8);
    const double budget_end_us = monotonic_s() * 1e6 + governor_.slack_s(now, plan.live) * 1e6 / window;
    const double profile_end_us = (start_ + options_.duration_s) * 1e6;
    capture_sched_ = capturer_.capture(plan.capture, capture_options_, std::min(budget_end_us, profile_end_us));
    for (const auto& t : plan.capture) {
      if (t.error && t.error->code == "not_sampled") continue;
      ++paused;
      const bool was_runnable = t.state == 'R';
      double lost_us = was_runnable ? t.pause_us : std::max(0.0, t.pause_us - t.stop_wait_us);
      pause_s += lost_us / 1e6;
      pause_us_total_ += lost_us;
      stop_wait_us_total_ += t.stop_wait_us;
      pause_us_max_ = std::max(pause_us_max_, lost_us);
    }
  }
  governor_.record_tick(now, pause_s, paused, plan.live);

  // Unwinding and symbolization, on the copies, while the target runs.
  ProcessCapture tick_capture;
  tick_capture.pid = pid_;
  tick_capture.comm = comm_;
  tick_capture.threads = std::move(plan.capture);
  std::optional<Error> first_error;
  std::vector<uint32_t> stack;
  for (size_t i = 0; i < tick_capture.threads.size(); ++i) {
    const ThreadCapture& t = tick_capture.threads[i];
    auto it = threads_.find(t.tid);
    if (t.error && t.error->code == "not_sampled") continue;
    if (!t.have_registers || !unwinder_.get()) {
      ++failed_;
      if (t.error && !first_error) first_error = t.error;
      if (t.error && t.error->code == "thread_gone") {
        if (it != threads_.end()) threads_.erase(it);
        release_if_exec_took_over(pid_);
      }
      continue;
    }
    any_capture_ok_ = true;
    UnwoundThread unwound = unwinder_.get()->unwind(tick_capture, t, options_.max_depth);
    if (unwound.frames.empty() || it == threads_.end()) {
      ++failed_;
      continue;
    }
    stack.clear();
    for (const auto& f : unwound.frames) stack.push_back(locations_.intern(unwinder_.get()->dwfl(), pid_, f.pc, f.activation));
    ThreadState& ts = it->second;
    buffer_.add(ts.index, stack, plan.capture_cpu[i] - std::min(plan.capture_cpu[i], ts.cpu_at_last_sample));
    ts.cpu_at_last_sample = plan.capture_cpu[i];
    ts.ticks_at_capture = plan.capture_ticks[i];
    ts.syscall_at_capture = plan.capture_syscall[i];
    ts.last_stack = stack;
    ts.have_stack = true;
    ++captured_;
  }
  // Nothing could ever be paused: the process is not ours to trace (report it as such).
  if (!any_capture_ok_ && first_error &&
      (first_error->code == "permission_denied" || first_error->code == "already_traced"))
    return *first_error;
  return {};
}

bool ProfileRun::wait_until(double when) {
  for (;;) {
    double now = elapsed();
    if (now >= options_.duration_s) return false;
    if (hooks_.should_stop && hooks_.should_stop()) {
      stop_reason_ = "cancelled";
      return false;
    }
    if (now - progress_at_ >= kProgressEvery) report_progress(now);
    if (now >= when) return true;
    sleep_s(std::min({when - now, kPollStopEvery, options_.duration_s - now}));
  }
}

void ProfileRun::report_progress(double now) {
  progress_at_ = now;
  if (!hooks_.on_progress) return;
  governor_.advance(now, tids_.size());
  hooks_.on_progress({{"samples", buffer_.held()},
                      {"ticks", ticks_},
                      {"elapsed_s", now},
                      {"duration_s", options_.duration_s},
                      {"hz_effective", now > 0 ? static_cast<double>(ticks_) / now : 0},
                      {"overhead_pct", governor_.overhead_pct()},
                      {"samples_evicted", buffer_.evicted()}});
}

Profile ProfileRun::result(double end) {
  governor_.advance(end, tids_.size());
  Profile p;
  p.pid = pid_;
  p.comm = comm_;
  p.hz_requested = options_.hz;
  p.duration_s = options_.duration_s;
  p.elapsed_s = end;
  p.hz_effective = end > 0 ? static_cast<double>(ticks_) / end : 0;
  p.max_overhead_pct = options_.max_overhead_pct;
  p.overhead_pct = governor_.overhead_pct();
  p.rate_limited = governor_.limited();
  p.include_idle = options_.include_idle;
  p.ticks = ticks_;
  p.samples = buffer_.held();
  p.samples_captured = captured_;
  p.samples_reused = reused_;
  p.samples_evicted = buffer_.evicted();
  p.samples_failed = failed_;
  p.pause_us_total = pause_us_total_;
  p.pause_us_max = pause_us_max_;
  p.stop_wait_us_total = stop_wait_us_total_;
  p.max_bytes = buffer_.max_bytes();
  p.bytes_peak = buffer_.bytes_peak();
  p.stop_reason = stop_reason_;
  p.capture_sched = capture_sched_.sched_class;
  p.capture_sched_reason = capture_sched_.reason;
  p.start_unix_ns = start_unix_ns_;
  p.sampler = "ptrace";
  locations_.export_to(p);
  p.threads = thread_table_;
  export_counts(buffer_, p);
  return p;
}

Result<Profile> ProfileRun::run() {
  if (pid_ == ::getpid()) return Error{"permission_denied", "a worker cannot profile itself"};
  auto stat = process_stat(pid_);
  if (!stat) return Error{"process_gone", "no process " + std::to_string(pid_)};
  if ((stat->flags & procfs::kPfKthread) != 0) return Error{"kernel_thread", std::to_string(pid_) + " is a kernel thread"};
  comm_ = std::move(stat->comm);
  start_time_ = stat->start_time;
  auto threads = list_threads(pid_);
  if (threads.empty()) return Error{"process_gone", "process " + std::to_string(pid_) + " exited"};
  if (std::all_of(threads.begin(), threads.end(), [](const ThreadInfo& t) { return t.state == 'Z' || t.state == 'X'; }))
    return Error{"zombie", "process " + std::to_string(pid_) + " is a zombie"};

  start_ = monotonic_s();
  start_unix_ns_ = unix_ns();
  refresh_threads(0);
  governor_.advance(0, tids_.size());
  while (wait_until(governor_.due_by_rate())) {
    // Plan the tick, and if the budget does not allow its pauses yet, wait and plan again (the
    // threads' states will have changed by then).
    Plan next = plan(elapsed());
    bool go = true;
    for (;;) {
      if (next.live == 0) break;
      double allowed = governor_.allowed_at(next.capture.size(), next.live);
      if (allowed <= elapsed()) break;
      governor_.note_limited();
      if (!(go = wait_until(allowed))) break;
      next = plan(elapsed());
    }
    if (!go) break;
    if (next.live == 0) {
      // No live thread left (only a zombie, exited and not yet reaped, or nothing at all).
      stop_reason_ = "process_exited";
      break;
    }
    if (auto r = execute(elapsed(), next); !r) return r.error();
  }
  return result(elapsed());
}

}  // namespace

ProfileSampler::ProfileSampler() {
  // Never reach out to debuginfod servers from a debugger of production processes.
  ::unsetenv("DEBUGINFOD_URLS");
}

Result<Profile> ProfileSampler::run(pid_t pid, const ProfileOptions& options, const ProfileHooks& hooks) {
  CpuPriorityBoost boost;
  std::string reason;
  if (options.sampler != SamplerChoice::kPtrace) {
    PerfProfileResult perf = run_perf_profile(pid, options, hooks, elf_cache_, symbolizer_);
    // perf asked for by name: its refusal is the answer. auto: ptrace, saying why.
    if (!perf.unavailable || options.sampler == SamplerChoice::kPerf) return std::move(perf.profile);
    reason = perf.profile.error().message;
  }
  ProfileRun run(pid, options, hooks, elf_cache_, symbolizer_);
  auto profile = run.run();
  if (profile) profile.value().sampler_reason = reason;
  return profile;
}

}  // namespace dbg::worker
