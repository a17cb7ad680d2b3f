#include "worker/profile/perf_overhead_calibration.hpp"

#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <thread>

#include "worker/profile/perf_event_ring.hpp"
#include "worker/profile/perf_sample_decode.hpp"
#include "worker/profile/perf_thread_set.hpp"

namespace dbg::worker {

namespace {

constexpr uint64_t kCalibrationPeriodNs = 100'000;  // 10 kHz of thread CPU
constexpr int kRounds = 3;
constexpr int kBlocks = 150;          // per run: ~15 ms, ~150 samples
constexpr unsigned kBlockSpins = 40'000;  // ~100 us of work on a current x86 core

uint64_t thread_cpu_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

__attribute__((noinline)) uint64_t spin(unsigned n, uint64_t seed) {
  volatile uint64_t x = seed;
  for (unsigned i = 0; i < n; ++i) x = x * 6364136223846793005ull + i;
  return x;
}

struct Run {
  uint64_t cpu_ns = 0;
  uint64_t samples = 0;
};

// One timed run of the loop; the ring is emptied between blocks (the real sampler drains in the
// worker, not on the target's time, but a drain here is a few loads per record: negligible next
// to the kernel's copy).
__attribute__((noinline)) Run timed_run(PerfEventRing& ring) {
  Run run;
  auto count = [&run](uint32_t type, const uint8_t*, size_t) {
    if (type == PERF_RECORD_SAMPLE) ++run.samples;
  };
  uint64_t seed = 1;
  const uint64_t t0 = thread_cpu_ns();
  for (int b = 0; b < kBlocks; ++b) {
    seed = spin(kBlockSpins, seed);
    ring.drain(count);
  }
  run.cpu_ns = thread_cpu_ns() - t0;
  return run;
}

// Below a frame holding stack_bytes of touched stack, as a deep target stack has above its sp:
// the kernel copies up to stack_bytes from sp up, as far as the stack is mapped, and a shallow
// stack near the top of our thread's mapping would make the copy (and the cost) look smaller.
__attribute__((noinline)) std::optional<double> calibrate_below_padding(size_t stack_bytes) {
  auto ring = PerfEventRing::open(
      [&] {
        perf_event_attr a = profile_event_attr(kCalibrationPeriodNs, stack_bytes);
        a.disabled = 1;
        a.watermark = 0;
        a.wakeup_events = 1 << 30;  // nobody polls this ring
        return a;
      }(),
      static_cast<pid_t>(::syscall(SYS_gettid)), 8 * (stack_bytes + 512), 2 * (stack_bytes + 512));
  if (!ring) return std::nullopt;
  uint64_t best_without = std::numeric_limits<uint64_t>::max(), best_with = best_without;
  uint64_t samples_with_best = 0;
  for (int round = 0; round < kRounds; ++round) {
    ::ioctl(ring.value().fd(), PERF_EVENT_IOC_DISABLE, 0);
    Run without = timed_run(ring.value());
    best_without = std::min(best_without, without.cpu_ns);
    ::ioctl(ring.value().fd(), PERF_EVENT_IOC_ENABLE, 0);
    Run with = timed_run(ring.value());
    ::ioctl(ring.value().fd(), PERF_EVENT_IOC_DISABLE, 0);
    if (with.samples > 0 && with.cpu_ns < best_with) {
      best_with = with.cpu_ns;
      samples_with_best = with.samples;
    }
  }
  if (samples_with_best == 0) return std::nullopt;
  const double diff = static_cast<double>(best_with) - static_cast<double>(best_without);
  return std::max(0.0, diff / static_cast<double>(samples_with_best));
}

std::optional<double> calibrate(size_t stack_bytes) {
  std::optional<double> result;
  // Its own thread: the event is on that thread alone, and its stack is fresh (room for the padding).
  std::thread t([&] {
    const size_t pad_bytes = stack_bytes + 4096;
    auto* pad = static_cast<volatile char*>(__builtin_alloca(pad_bytes));
    for (size_t i = 0; i < pad_bytes; i += 512) pad[i] = 1;
    result = calibrate_below_padding(stack_bytes);
    pad[0] = pad[pad_bytes - 1];  // keeps the padding live across the call
  });
  t.join();
  return result;
}

}  // namespace

std::optional<double> perf_sample_cost_ns(size_t stack_bytes) {
  static std::mutex mutex;
  static std::map<size_t, std::optional<double>> cache;
  stack_bytes = perf_stack_bytes(stack_bytes);
  std::lock_guard lock(mutex);
  auto it = cache.find(stack_bytes);
  if (it == cache.end()) it = cache.emplace(stack_bytes, calibrate(stack_bytes)).first;
  return it->second;
}

}  // namespace dbg::worker
