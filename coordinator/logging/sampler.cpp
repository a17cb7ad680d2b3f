#include "coordinator/logging/sampler.hpp"

#include "coordinator/logging/logging_config.hpp"

namespace dbg::coord::logging {

SamplerState& state() noexcept {
  // Built on first use with the default configuration, so messages logged before the logger
  // starts (flag errors, the data directory) are already sampled; never destroyed, so logging
  // from static destructors stays safe.
  static SamplerState* s = [] {
    auto* created = new SamplerState;
    store_levels(*created, default_config());
    return created;
  }();
  return *s;
}

std::string_view name(Level level) {
  switch (level) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warning: return "warning";
    case Level::error: return "error";
    case Level::critical: return "critical";
  }
  return "?";
}

std::optional<Level> level_from_name(std::string_view n) {
  for (Level l : kLevels) {
    if (name(l) == n) return l;
  }
  return std::nullopt;
}

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warning: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
    case Level::critical: return spdlog::level::critical;
  }
  return spdlog::level::info;
}

void start_new_window() noexcept {
  auto& w = state().window;
  // Skip 0: it means "never written" in a CallSite.
  if (w.fetch_add(1, std::memory_order_relaxed) + 1 == 0) w.fetch_add(1, std::memory_order_relaxed);
}

LevelCounters counters(Level level) noexcept {
  const LevelState& l = state().levels[static_cast<std::size_t>(level)];
  return {l.written.load(std::memory_order_relaxed), l.dropped.load(std::memory_order_relaxed),
          l.first_in_window.load(std::memory_order_relaxed), l.write_ns.load(std::memory_order_relaxed)};
}

}  // namespace dbg::coord::logging
