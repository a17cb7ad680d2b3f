#pragma once
// Selective logging: what the coordinator's code calls instead of spdlog::info/warn/error.
//
//   DBG_LOG_WARN("worker {} replaced: {}", pid, reason);
//
// Each call site is one "distinct message" (its format string). Per level there is an on/off
// switch and a sample rate (sampler.hpp). Within a window (default 60 s) the first message of a
// call site is always written; later ones are written with the level's probability; the rest
// are dropped and counted per level.
//
// Why macros: the decision is taken before the arguments are even evaluated, so a dropped
// message costs a few relaxed atomics and a thread-local random number, not a format (nor a
// std::string built for an argument). Only kept messages reach spdlog (asynchronous, logger.hpp).
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <utility>

#include "coordinator/logging/sampler.hpp"

namespace dbg::coord::logging {

// Hands a kept message to spdlog and counts it. The time callers spend doing so (for GET
// /api/v1/logging/impact) is measured on one written message in kTimedEvery per thread and
// scaled up: two clock reads on every message cost about a third of the write itself (bench/).
inline constexpr std::uint32_t kTimedEvery = 16;

template <typename... Args>
void write(Level level, spdlog::format_string_t<Args...> format, Args&&... args) {
  // Each thread starts at a random phase: always timing a thread's first line (and scaling it
  // by kTimedEvery) would overstate the cost of threads that log little.
  thread_local std::uint32_t written_here = 0;
  if (written_here == 0) written_here = random_u32() | 1u;
  if (written_here++ % kTimedEvery != 0) {
    spdlog::default_logger_raw()->log(to_spdlog(level), format, std::forward<Args>(args)...);
    count_written(level, std::chrono::steady_clock::duration::zero());
    return;
  }
  auto started = std::chrono::steady_clock::now();
  spdlog::default_logger_raw()->log(to_spdlog(level), format, std::forward<Args>(args)...);
  count_written(level, (std::chrono::steady_clock::now() - started) * kTimedEvery);
}

}  // namespace dbg::coord::logging

#define DBG_LOG_AT(level_, ...)                                                         \
  do {                                                                                 \
    static ::dbg::coord::logging::CallSite dbg_log_site_;                              \
    if (::dbg::coord::logging::should_write((level_), dbg_log_site_))                 \
      ::dbg::coord::logging::write((level_), __VA_ARGS__);                             \
  } while (0)

#define DBG_LOG_DEBUG(...) DBG_LOG_AT(::dbg::coord::logging::Level::debug, __VA_ARGS__)
#define DBG_LOG_INFO(...) DBG_LOG_AT(::dbg::coord::logging::Level::info, __VA_ARGS__)
#define DBG_LOG_WARN(...) DBG_LOG_AT(::dbg::coord::logging::Level::warning, __VA_ARGS__)
#define DBG_LOG_ERROR(...) DBG_LOG_AT(::dbg::coord::logging::Level::error, __VA_ARGS__)
#define DBG_LOG_CRITICAL(...) DBG_LOG_AT(::dbg::coord::logging::Level::critical, __VA_ARGS__)
