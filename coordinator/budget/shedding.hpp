#pragma once
// The load-shedding state request handlers consult (POST /api/v1/sessions): written by the
// BudgetMonitor after each check, read from any thread. Atomics only, no Asio: included by the
// API routes.
#include <algorithm>
#include <atomic>
#include <cstdint>

namespace dbg::coord::budget {

class Shedding {
 public:
  int stage() const { return stage_.load(std::memory_order_relaxed); }
  void set_stage(int stage) { stage_.store(stage, std::memory_order_relaxed); }

  // Stage 3 and above: new sessions are refused.
  bool refuse_sessions() const { return stage() >= 3; }
  // Stage 1 and above: a new profile samples at half the rate it asked for (at least 1 Hz).
  int cap_profile_hz(int hz) const { return stage() >= 1 ? std::max(1, hz / 2) : hz; }
  // What a refusal's Retry-After says: the next checks may undo the refusal.
  int retry_after_s() const { return retry_after_s_.load(std::memory_order_relaxed); }
  void set_retry_after_s(int s) { retry_after_s_.store(s, std::memory_order_relaxed); }

  void count_refusal() { refused_.fetch_add(1, std::memory_order_relaxed); }
  void count_capped() { capped_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }
  uint64_t capped() const { return capped_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int> stage_{0};
  std::atomic<int> retry_after_s_{5};
  std::atomic<uint64_t> refused_{0}, capped_{0};
};

}  // namespace dbg::coord::budget
