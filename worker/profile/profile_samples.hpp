#pragma once
// SampleBuffer: the samples of one profile, aggregated as they arrive and bounded in bytes.
// Every sample is (thread, stack, cpu_ns); identical stacks are stored once (interned, with a
// reference count), and counts per (thread, stack) are kept up to date, so the folded profile,
// per thread and merged, is ready at any moment. The samples themselves sit in a circular buffer
// in arrival order: when the bytes held exceed the budget, the oldest samples are evicted (their
// counts taken back, stacks no sample uses any more freed) and counted.
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "dbg/profile.hpp"

namespace dbg::worker {

class SampleBuffer {
 public:
  explicit SampleBuffer(uint64_t max_bytes) : max_bytes_(max_bytes) {}

  // `locations`: the stack's location ids, innermost first.
  void add(uint32_t thread, const std::vector<uint32_t>& locations, uint64_t cpu_ns);

  struct Count {
    uint64_t samples = 0;
    uint64_t cpu_ns = 0;
  };
  // Calls f(thread, stack_locations, count) for every (thread, stack) with samples.
  template <typename F>
  void for_each_count(F&& f) const {
    for (const auto& [key, count] : counts_) {
      f(static_cast<uint32_t>(key >> 32), stacks_[static_cast<uint32_t>(key)].locations, count);
    }
  }

  uint64_t held() const { return ring_.size(); }
  uint64_t evicted() const { return evicted_; }
  uint64_t bytes() const { return bytes_; }
  uint64_t bytes_peak() const { return bytes_peak_; }
  uint64_t max_bytes() const { return max_bytes_; }
  size_t distinct_stacks() const { return index_.size(); }

 private:
  struct Sample {
    uint32_t thread;
    uint32_t stack;
    uint64_t cpu_ns;
  };
  struct Stack {
    std::vector<uint32_t> locations;
    uint64_t refs = 0;
  };
  // Approximate heap cost of each kind of entry (payload plus container bookkeeping).
  static uint64_t stack_bytes(size_t depth) { return 96 + 2 * 4 * depth; }
  static constexpr uint64_t kSampleBytes = sizeof(Sample);
  static constexpr uint64_t kCountBytes = 64;

  uint32_t intern(const std::vector<uint32_t>& locations);
  void release(uint32_t stack);
  void evict_oldest();

  uint64_t max_bytes_;
  uint64_t bytes_ = 0, bytes_peak_ = 0, evicted_ = 0;
  std::deque<Sample> ring_;
  std::vector<Stack> stacks_;
  std::vector<uint32_t> free_stacks_;
  std::unordered_map<std::string, uint32_t> index_;  // the locations' bytes -> stack id
  std::unordered_map<uint64_t, Count> counts_;        // thread << 32 | stack
};

// Moves the buffer's counts into p, whose threads are set: stacks renumbered densely (the
// buffer's ids have holes where stacks were evicted), counts sorted by (thread, stack), and each
// thread's samples summed.
void export_counts(const SampleBuffer& buffer, Profile& p);

}  // namespace dbg::worker
