#include "worker/profile/profile_samples.hpp"

#include <algorithm>
#include <map>

namespace dbg::worker {

namespace {

std::string key_of(const std::vector<uint32_t>& locations) {
  return std::string(reinterpret_cast<const char*>(locations.data()), locations.size() * sizeof(uint32_t));
}

}  // namespace

uint32_t SampleBuffer::intern(const std::vector<uint32_t>& locations) {
  std::string key = key_of(locations);
  if (auto it = index_.find(key); it != index_.end()) return it->second;
  uint32_t id;
  if (!free_stacks_.empty()) {
    id = free_stacks_.back();
    free_stacks_.pop_back();
  } else {
    id = static_cast<uint32_t>(stacks_.size());
    stacks_.emplace_back();
  }
  stacks_[id].locations = locations;
  stacks_[id].refs = 0;
  index_.emplace(std::move(key), id);
  bytes_ += stack_bytes(locations.size());
  return id;
}

void SampleBuffer::release(uint32_t stack) {
  Stack& s = stacks_[stack];
  if (--s.refs > 0) return;
  index_.erase(key_of(s.locations));
  bytes_ -= stack_bytes(s.locations.size());
  s.locations = {};
  free_stacks_.push_back(stack);
}

void SampleBuffer::add(uint32_t thread, const std::vector<uint32_t>& locations, uint64_t cpu_ns) {
  uint32_t stack = intern(locations);
  ++stacks_[stack].refs;
  ring_.push_back(Sample{thread, stack, cpu_ns});
  bytes_ += kSampleBytes;
  auto [it, inserted] = counts_.try_emplace((static_cast<uint64_t>(thread) << 32) | stack);
  if (inserted) bytes_ += kCountBytes;
  ++it->second.samples;
  it->second.cpu_ns += cpu_ns;
  // Keep at least the newest sample: a budget smaller than one stack still profiles something.
  while (bytes_ > max_bytes_ && ring_.size() > 1) evict_oldest();
  bytes_peak_ = std::max(bytes_peak_, bytes_);
}

void SampleBuffer::evict_oldest() {
  Sample s = ring_.front();
  ring_.pop_front();
  bytes_ -= kSampleBytes;
  ++evicted_;
  auto it = counts_.find((static_cast<uint64_t>(s.thread) << 32) | s.stack);
  if (it != counts_.end()) {
    --it->second.samples;
    it->second.cpu_ns -= std::min(it->second.cpu_ns, s.cpu_ns);
    if (it->second.samples == 0) {
      counts_.erase(it);
      bytes_ -= kCountBytes;
    }
  }
  release(s.stack);
}

void export_counts(const SampleBuffer& buffer, Profile& p) {
  std::map<const std::vector<uint32_t>*, uint32_t> stack_ids;
  buffer.for_each_count([&](uint32_t thread, const std::vector<uint32_t>& locs, const SampleBuffer::Count& c) {
    auto [it, inserted] = stack_ids.try_emplace(&locs, static_cast<uint32_t>(p.stacks.size()));
    if (inserted) p.stacks.push_back(locs);
    p.counts.push_back(ProfileCount{thread, it->second, c.samples, c.cpu_ns});
    p.threads[thread].samples += c.samples;
  });
  std::sort(p.counts.begin(), p.counts.end(),
            [](const ProfileCount& a, const ProfileCount& b) { return a.thread != b.thread ? a.thread < b.thread : a.stack < b.stack; });
}

}  // namespace dbg::worker
