#pragma once
// The logging configuration shown by GET /api/v1/logging and changed by PUT: per level an
// on/off switch and a sample rate, and the length of the first-occurrence window.
//
//   {"levels": {"critical": {"enabled": true, "sample_rate": 1.0}, "error": {…}, "warning": {…},
//               "info": {…}, "debug": {…}},
//    "window_s": 60}
//
// A PUT carries any subset ({"levels":{"warning":{"sample_rate":0.5}}}); it is validated as a
// whole before anything changes, so a bad value leaves the running configuration untouched.
#include <array>
#include <chrono>

#include <nlohmann/json.hpp>

#include "coordinator/logging/sampler.hpp"
#include "dbg/error.hpp"

namespace dbg::coord::logging {

struct LevelConfig {
  bool enabled = true;
  double sample_rate = 1.0;  // [0, 1]; the first message of a call site in a window is always kept
};

struct LoggingConfig {
  std::array<LevelConfig, kLevelCount> levels;  // indexed by Level
  std::chrono::seconds window{60};

  LevelConfig& at(Level l) { return levels[static_cast<std::size_t>(l)]; }
  const LevelConfig& at(Level l) const { return levels[static_cast<std::size_t>(l)]; }
};

inline constexpr std::chrono::seconds kMaxWindow{86400};

// The seed design's rates: critical 1.0, error 0.5, warning 0.1, debug off at 0.01. Info stays
// at 1.0: info lines here are rare state changes (start, stop, migrations, the token notice),
// the operator's record of what the coordinator did; volume comes from warnings and errors
// repeated in loops (a failing disk, a flapping worker), which sampling is for.
LoggingConfig default_config();

// The configuration in force, and replacing it (atomics for the logging path; the spdlog
// level follows the lowest enabled level so direct spdlog calls obey the switches too).
LoggingConfig current_config();
void apply(const LoggingConfig& config);
// Writes the switches and thresholds of config into state (used by apply and at first use).
void store_levels(SamplerState& state, const LoggingConfig& config);

// base with the update applied; Error "bad_request" (and base unchanged) on an unknown field,
// a wrong type, a rate outside [0, 1] or a window outside 1..86400 s.
Result<LoggingConfig> apply_update(const LoggingConfig& base, const nlohmann::json& update);

nlohmann::json to_json(const LoggingConfig& config);

}  // namespace dbg::coord::logging
