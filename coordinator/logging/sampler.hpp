#pragma once
// The sampling decision and its counters, process-wide (one coordinator per process). Kept free
// of locks on the logging path: the configuration is a set of atomics read relaxed, and a
// configuration change is a few atomic stores (a message racing a change may see either
// setting, which is harmless).
#include <spdlog/common.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace dbg::coord::logging {

enum class Level : int { debug = 0, info, warning, error, critical };
inline constexpr std::size_t kLevelCount = 5;
inline constexpr std::array<Level, kLevelCount> kLevels{Level::debug, Level::info, Level::warning, Level::error,
                                                        Level::critical};

std::string_view name(Level level);
std::optional<Level> level_from_name(std::string_view name);
spdlog::level::level_enum to_spdlog(Level level);

// One per call site (a function-local static in DBG_LOG_AT): the window in which it was last
// written first. 0 = never (windows are numbered from 1).
struct CallSite {
  std::atomic<std::uint32_t> window{0};
};

// The per-level state. 64-byte aligned so that busy levels do not share a cache line.
struct alignas(64) LevelState {
  std::atomic<bool> enabled{true};
  // rate as a fraction of 2^32; 2^32 = every message (a 64-bit value so 1.0 is representable).
  std::atomic<std::uint64_t> threshold{std::uint64_t{1} << 32};
  std::atomic<std::uint64_t> written{0};
  std::atomic<std::uint64_t> dropped{0};
  std::atomic<std::uint64_t> first_in_window{0};  // written because first of their call site
  std::atomic<std::uint64_t> write_ns{0};         // time callers spent handing kept messages over (estimated)
};

struct SamplerState {
  std::array<LevelState, kLevelCount> levels;
  std::atomic<std::uint32_t> window{1};
};

SamplerState& state() noexcept;

// A thread-local xorshift: no lock, no shared state, good enough for sampling.
inline std::uint32_t random_u32() noexcept {
  thread_local std::uint64_t x = 0;
  if (x == 0) {
    // Seeded per thread from its TLS address and the clock; never 0 (xorshift's fixed point).
    x = reinterpret_cast<std::uintptr_t>(&x) ^
        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
        0x9e3779b97f4a7c15ull;
    if (x == 0) x = 1;
  }
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  return static_cast<std::uint32_t>((x * 0x2545f4914f6cdd1dull) >> 32);
}

// The decision: true when the message must be written. Counts the drop itself; the write is
// counted by count_written().
inline bool should_write(Level level, CallSite& site) noexcept {
  LevelState& l = state().levels[static_cast<std::size_t>(level)];
  if (!l.enabled.load(std::memory_order_relaxed)) {
    l.dropped.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  std::uint32_t window = state().window.load(std::memory_order_relaxed);
  // The exchange makes exactly one thread the "first" of a site in a window.
  if (site.window.load(std::memory_order_relaxed) != window &&
      site.window.exchange(window, std::memory_order_relaxed) != window) {
    l.first_in_window.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  std::uint64_t threshold = l.threshold.load(std::memory_order_relaxed);
  if (threshold > 0xffffffffull || random_u32() < threshold) return true;
  l.dropped.fetch_add(1, std::memory_order_relaxed);
  return false;
}

inline void count_written(Level level, std::chrono::steady_clock::duration took) noexcept {
  LevelState& l = state().levels[static_cast<std::size_t>(level)];
  l.written.fetch_add(1, std::memory_order_relaxed);
  l.write_ns.fetch_add(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(took).count()),
                       std::memory_order_relaxed);
}

// Starts a new window: every call site's next message is written again. The logger's ticker
// calls it every window; tests call it directly.
void start_new_window() noexcept;

struct LevelCounters {
  std::uint64_t written, dropped, first_in_window, write_ns;
};
LevelCounters counters(Level level) noexcept;

}  // namespace dbg::coord::logging
