#include "worker/profile/perf_thread_set.hpp"

#include <algorithm>
#include <cstring>

#include "worker/profile/perf_sample_decode.hpp"

namespace dbg::worker {

namespace {

// What one sample record can take: header and fixed fields, registers, the stack and its sizes.
size_t record_bytes(size_t stack_bytes) { return 64 + 8 * kPerfRegsCount + stack_bytes + 16; }

}  // namespace

size_t perf_stack_bytes(size_t stack_bytes) { return std::min(stack_bytes, kPerfMaxStackBytes) / 8 * 8; }

perf_event_attr profile_event_attr(uint64_t period_ns, size_t stack_bytes) {
  perf_event_attr a{};
  a.size = sizeof(a);
  a.type = PERF_TYPE_SOFTWARE;
  a.config = PERF_COUNT_SW_TASK_CLOCK;
  // A fixed period rather than freq=1: for the hrtimer-driven clock events the kernel turns a
  // frequency into the period 1e9/freq at open anyway, and a period is what PERF_EVENT_IOC_PERIOD
  // then takes, so saying it directly keeps the unit unambiguous (ns of thread CPU time).
  a.sample_period = std::max<uint64_t>(period_ns, 10'000);  // the kernel's floor for clock events
  a.sample_type = kPerfSampleType;
  a.sample_regs_user = kPerfRegsMask;
  a.sample_stack_user = static_cast<uint32_t>(perf_stack_bytes(stack_bytes));
  a.exclude_kernel = 1;
  a.exclude_hv = 1;
  a.exclude_idle = 1;
  // Wake poll() when a quarter of the ring is filled (set per ring in open(), bytes).
  a.watermark = 1;
  return a;
}

PerfThreadSet::PerfThreadSet(uint64_t period_ns, size_t stack_bytes, int hz)
    : attr_(profile_event_attr(period_ns, stack_bytes)) {
  // About 0.2 s of samples of a thread that runs all the time, at least 8 records, at most
  // 1 MiB per thread (64 busy threads at 999 Hz: 64 MiB of rings). The sampler drains them far
  // more often than that; a ring that still fills loses samples, counted as samples_lost.
  const size_t record = record_bytes(attr_.sample_stack_user);
  ring_bytes_ = std::clamp<size_t>(record * static_cast<size_t>(std::max(hz, 1)) / 5, 8 * record, 1u << 20);
  ring_bytes_ = std::max(ring_bytes_, 2 * record);
  min_ring_bytes_ = 2 * record;
}

Result<void> PerfThreadSet::open(pid_t tid) {
  perf_event_attr a = attr_;
  // The ring is rounded up to a power of two in PerfEventRing::open: a quarter of at least this.
  a.wakeup_watermark = static_cast<uint32_t>(ring_bytes_ / 4);
  auto ring = PerfEventRing::open(a, tid, ring_bytes_, min_ring_bytes_);
  if (!ring) return ring.error();
  events_.insert_or_assign(tid, std::move(ring.value()));
  poll_fds_stale_ = true;
  return {};
}

void PerfThreadSet::close(std::map<pid_t, PerfEventRing>::iterator it) {
  if (auto c = it->second.count()) closed_cpu_ns_ += *c;
  closed_lost_ += it->second.lost();
  events_.erase(it);
  poll_fds_stale_ = true;
}

std::optional<Error> PerfThreadSet::sync(const std::vector<pid_t>& tids, const OnRecord& on_record) {
  for (auto it = events_.begin(); it != events_.end();) {
    if (std::binary_search(tids.begin(), tids.end(), it->first)) {
      ++it;
      continue;
    }
    it->second.drain(on_record);  // what it sampled before it left
    auto gone = it++;
    close(gone);
  }
  std::optional<Error> first;
  for (pid_t tid : tids) {
    if (events_.count(tid)) continue;
    auto r = open(tid);
    if (!r && r.error().code != "thread_gone" && !first) first = r.error();
  }
  return first;
}

size_t PerfThreadSet::drain(const OnRecord& on_record) {
  size_t n = 0;
  for (auto& [tid, ring] : events_) n += ring.drain(on_record);
  return n;
}

std::vector<pollfd>& PerfThreadSet::poll_fds() {
  if (poll_fds_stale_) {
    poll_fds_.clear();
    for (const auto& [tid, ring] : events_) poll_fds_.push_back(pollfd{ring.fd(), POLLIN, 0});
    poll_fds_stale_ = false;
  }
  return poll_fds_;
}

bool PerfThreadSet::set_period(uint64_t period_ns) {
  attr_.sample_period = std::max<uint64_t>(period_ns, 10'000);
  bool ok = true;
  for (auto& [tid, ring] : events_) ok = ring.set_period(attr_.sample_period) && ok;
  return ok;
}

uint64_t PerfThreadSet::cpu_ns() const {
  uint64_t n = closed_cpu_ns_;
  for (const auto& [tid, ring] : events_) n += ring.count().value_or(0);
  return n;
}

uint64_t PerfThreadSet::lost() const {
  uint64_t n = closed_lost_;
  for (const auto& [tid, ring] : events_) n += ring.lost();
  return n;
}

}  // namespace dbg::worker
