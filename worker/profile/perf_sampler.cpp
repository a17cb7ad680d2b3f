#include "worker/profile/perf_sampler.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <optional>

#include "worker/proc/proc_info.hpp"
#include "worker/profile/perf_overhead_calibration.hpp"
#include "worker/profile/perf_sample_decode.hpp"
#include "worker/profile/perf_thread_set.hpp"
#include "worker/profile/profile_clock.hpp"
#include "worker/profile/profile_governor.hpp"
#include "worker/profile/profile_locations.hpp"
#include "worker/profile/profile_samples.hpp"
#include "worker/profile/profile_thread_activity.hpp"
#include "worker/profile/profile_unwinder.hpp"
#include "worker/unwind/process_unwinder.hpp"

namespace dbg::worker {

namespace {

constexpr double kListThreadsEvery = 0.1;   // s: new threads are sampled within this
constexpr double kProgressEvery = 1.0;      // s: progress, and the budget check
constexpr int kPollMs = 20;                 // should_stop is seen within this

std::string paranoid_level() {
  std::ifstream f("/proc/sys/kernel/perf_event_paranoid");
  std::string level;
  f >> level;
  return level.empty() ? "?" : level;
}

class PerfRun {
 public:
  PerfRun(pid_t pid, const ProfileOptions& options, const ProfileHooks& hooks, ElfCache& elf_cache, Symbolizer& symbolizer)
      : pid_(pid), options_(options), hooks_(hooks), unwinder_(pid, elf_cache), locations_(symbolizer, options.source),
        buffer_(options.max_bytes) {}

  PerfProfileResult run();

 private:
  double elapsed() const { return monotonic_s() - start_; }
  // Lists the threads (every kListThreadsEvery) and brings the events to them; false when no
  // live thread is left.
  bool refresh_threads(double now, bool force = false);
  void on_record(uint32_t type, const uint8_t* record, size_t size);
  double overhead_pct() const;
  // Lowers the sampling rate when the overhead estimate is above the budget.
  void enforce_budget();
  void report_progress(double now);
  Profile result(double end);

  pid_t pid_;
  const ProfileOptions& options_;
  const ProfileHooks& hooks_;
  ProfileUnwinder unwinder_;
  LocationTable locations_;
  SampleBuffer buffer_;
  std::optional<PerfThreadSet> events_;
  PerfThreadSet::OnRecord record_sink_;

  std::string comm_;
  std::optional<uint64_t> start_time_;
  double start_ = 0;
  int64_t start_unix_ns_ = 0;
  double hz_ = 0;                 // the rate the events sample at now (per second of thread CPU)
  double cost_ns_ = 0;            // per sample, measured
  bool rate_limited_ = false;
  uint64_t cpu_ns_ = 0;           // the sampled threads' CPU time, read at progress and at the end
  std::map<pid_t, uint32_t> rows_;  // tid -> thread table row
  std::vector<ProfileThread> thread_table_;
  double listed_at_ = -1, progress_at_ = 0;
  uint64_t received_ = 0, captured_ = 0, failed_ = 0;
  std::string stop_reason_ = "duration";

  // Reused for every sample: one thread's registers and stack copy, in the shape the unwinder reads.
  ProcessCapture capture_;
  PerfSample sample_;
  std::vector<uint32_t> stack_;
};

bool PerfRun::refresh_threads(double now, bool force) {
  if (!force && listed_at_ >= 0 && now - listed_at_ < kListThreadsEvery) return true;
  listed_at_ = now;
  std::vector<pid_t> live;
  // Same pid, another start time: the target exited and the pid was reused. Not ours to sample.
  if (process_start_time(pid_) == start_time_) {
    for (const auto& t : list_threads(pid_))
      if (t.state != 'Z' && t.state != 'X') live.push_back(t.tid);
  }
  events_->sync(live, record_sink_);
  for (pid_t tid : live) {
    if (!events_->has(tid) || rows_.count(tid)) continue;
    rows_[tid] = static_cast<uint32_t>(thread_table_.size());
    thread_table_.push_back(ProfileThread{tid, thread_name(pid_, tid), 0});
  }
  return !live.empty();
}

void PerfRun::on_record(uint32_t type, const uint8_t* record, size_t size) {
  if (type != PERF_RECORD_SAMPLE) return;  // LOST is summed by the ring; others are not asked for
  ++received_;
  ThreadCapture& t = capture_.threads[0];
  if (!decode_perf_sample(record, size, sample_, t) || !unwinder_.get()) {
    ++failed_;
    return;
  }
  auto row = rows_.find(t.tid);
  if (row == rows_.end()) {
    ++failed_;
    return;
  }
  UnwoundThread unwound = unwinder_.get()->unwind(capture_, t, options_.max_depth);
  if (unwound.frames.empty()) {
    ++failed_;
    return;
  }
  stack_.clear();
  for (const auto& f : unwound.frames) stack_.push_back(locations_.intern(unwinder_.get()->dwfl(), pid_, f.pc, f.activation));
  // The period is the task-clock time since the previous sample: the CPU this sample stands for.
  buffer_.add(row->second, stack_, sample_.period);
  ++captured_;
}

double PerfRun::overhead_pct() const {
  // Share of the target's CPU time, not of elapsed x threads (the ptrace governor's thread-time):
  // a sample costs the thread it interrupts, and only a running thread is sampled, so the CPU
  // time the sampled threads used in the profile is what this cost was taken from. A lost sample
  // still took its interrupt: counted too.
  if (cpu_ns_ == 0) return 0;
  const double samples = static_cast<double>(received_ + events_->lost());
  return 100.0 * samples * cost_ns_ / static_cast<double>(cpu_ns_);
}

void PerfRun::enforce_budget() {
  // Each thread takes hz samples per second of its CPU, so the overhead is hz x cost whatever
  // the number of threads; the rate chosen at the start already fits. This catches what that
  // estimate missed (more samples per CPU second than the period implies).
  const double pct = overhead_pct();
  const double budget = options_.max_overhead_pct * OverheadGovernor::kHeadroom;
  if (pct <= options_.max_overhead_pct || hz_ <= 1) return;
  const double hz = std::max(1.0, std::floor(hz_ * budget / pct));
  if (hz >= hz_) return;
  if (events_->set_period(static_cast<uint64_t>(1e9 / hz))) {
    hz_ = hz;
    rate_limited_ = true;
  }
}

void PerfRun::report_progress(double now) {
  progress_at_ = now;
  cpu_ns_ = events_->cpu_ns();
  enforce_budget();
  if (!hooks_.on_progress) return;
  hooks_.on_progress({{"samples", buffer_.held()},
                      {"ticks", received_},
                      {"elapsed_s", now},
                      {"duration_s", options_.duration_s},
                      {"hz_effective", cpu_ns_ > 0 ? static_cast<double>(received_) / (static_cast<double>(cpu_ns_) / 1e9) : 0},
                      {"overhead_pct", overhead_pct()},
                      {"samples_evicted", buffer_.evicted()},
                      {"samples_lost", events_->lost()}});
}

Profile PerfRun::result(double end) {
  cpu_ns_ = events_->cpu_ns();
  Profile p;
  p.pid = pid_;
  p.comm = comm_;
  p.sampler = "perf";
  p.hz_requested = options_.hz;
  p.duration_s = options_.duration_s;
  p.elapsed_s = end;
  // Samples per second of the sampled threads' CPU: the per-thread rate (what hz asks for; a
  // thread that runs all the time gets this many per second of wall time).
  p.hz_effective = cpu_ns_ > 0 ? static_cast<double>(received_) / (static_cast<double>(cpu_ns_) / 1e9) : 0;
  p.max_overhead_pct = options_.max_overhead_pct;
  p.overhead_pct = overhead_pct();
  p.overhead_per_sample_us = cost_ns_ / 1e3;
  p.rate_limited = rate_limited_;
  p.include_idle = options_.include_idle;
  p.ticks = received_;
  p.samples = buffer_.held();
  p.samples_captured = captured_;
  p.samples_evicted = buffer_.evicted();
  p.samples_failed = failed_;
  p.samples_lost = events_->lost();
  p.max_bytes = buffer_.max_bytes();
  p.bytes_peak = buffer_.bytes_peak();
  p.stop_reason = stop_reason_;
  p.start_unix_ns = start_unix_ns_;
  locations_.export_to(p);
  p.threads = thread_table_;
  export_counts(buffer_, p);
  return p;
}

PerfProfileResult PerfRun::run() {
  PerfProfileResult out;
  if (pid_ == ::getpid()) return {Error{"permission_denied", "a worker cannot profile itself"}, false};
  auto stat = process_stat(pid_);
  if (!stat) return {Error{"process_gone", "no process " + std::to_string(pid_)}, false};
  if ((stat->flags & procfs::kPfKthread) != 0) return {Error{"kernel_thread", std::to_string(pid_) + " is a kernel thread"}, false};
  comm_ = std::move(stat->comm);
  start_time_ = stat->start_time;
  auto threads = list_threads(pid_);
  if (threads.empty()) return {Error{"process_gone", "process " + std::to_string(pid_) + " exited"}, false};
  auto first = std::find_if(threads.begin(), threads.end(), [](const ThreadInfo& t) { return t.state != 'Z' && t.state != 'X'; });
  if (first == threads.end()) return {Error{"zombie", "process " + std::to_string(pid_) + " is a zombie"}, false};

  // The cost first (our own thread, ~0.1 s once per worker): it decides the rate.
  const size_t stack_bytes = perf_stack_bytes(options_.stack_bytes);
  auto cost = perf_sample_cost_ns(stack_bytes);
  cost_ns_ = cost.value_or(0);
  hz_ = options_.hz;
  if (cost_ns_ > 0) {
    // hz samples per CPU second cost hz x cost of it: the highest rate within the budget.
    const double max_hz = options_.max_overhead_pct / 100.0 * OverheadGovernor::kHeadroom / (cost_ns_ / 1e9);
    if (max_hz < hz_) {
      hz_ = std::max(1.0, std::floor(max_hz));
      rate_limited_ = true;
    }
  }
  events_.emplace(static_cast<uint64_t>(1e9 / hz_), stack_bytes, static_cast<int>(hz_));
  record_sink_ = [this](uint32_t type, const uint8_t* record, size_t size) { on_record(type, record, size); };
  // The first live thread decides whether perf can be used at all.
  if (auto opened = events_->open(first->tid); !opened) {
    if (opened.error().code == "thread_gone" && !process_stat(pid_))
      return {Error{"process_gone", "process " + std::to_string(pid_) + " exited"}, false};
    out.profile = Error{opened.error().code, opened.error().message + " (perf_event_paranoid=" + paranoid_level() + ")"};
    out.unavailable = true;
    return out;
  }
  capture_.pid = pid_;
  capture_.comm = comm_;
  capture_.threads.resize(1);
  start_ = monotonic_s();
  start_unix_ns_ = unix_ns();
  unwinder_.refresh(0);
  bool alive = refresh_threads(0, true);
  while (alive) {
    const double now = elapsed();
    if (now >= options_.duration_s) break;
    if (hooks_.should_stop && hooks_.should_stop()) {
      stop_reason_ = "cancelled";
      break;
    }
    if (now - progress_at_ >= kProgressEvery) report_progress(now);
    unwinder_.refresh(now);
    if (!(alive = refresh_threads(now))) {
      stop_reason_ = "process_exited";
      break;
    }
    // Wake on a ring's watermark, or after kPollMs to look at the clock, the threads and the stop hook.
    auto& fds = events_->poll_fds();
    const int wait_ms = std::clamp(static_cast<int>((options_.duration_s - now) * 1000) + 1, 0, kPollMs);
    ::poll(fds.data(), fds.size(), wait_ms);
    events_->drain(record_sink_);
  }
  // What the rings still hold was sampled within the profile.
  events_->drain(record_sink_);
  out.profile = result(elapsed());
  return out;
}

}  // namespace

PerfProfileResult run_perf_profile(pid_t pid, const ProfileOptions& options, const ProfileHooks& hooks, ElfCache& elf_cache,
                                   Symbolizer& symbolizer) {
  PerfRun run(pid, options, hooks, elf_cache, symbolizer);
  return run.run();
}

}  // namespace dbg::worker
