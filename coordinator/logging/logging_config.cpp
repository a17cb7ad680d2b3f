#include "coordinator/logging/logging_config.hpp"

#include <spdlog/spdlog.h>

#include <cmath>
#include <mutex>

namespace dbg::coord::logging {

namespace {

std::mutex config_mutex;
// Guarded by config_mutex; nullopt until the first apply (then default_config() holds).
std::optional<LoggingConfig> config_in_force;

Error bad(std::string message) { return Error{"bad_request", std::move(message)}; }

}  // namespace

LoggingConfig default_config() {
  LoggingConfig c;
  c.at(Level::critical) = {true, 1.0};
  c.at(Level::error) = {true, 0.5};
  c.at(Level::warning) = {true, 0.1};
  c.at(Level::info) = {true, 1.0};
  c.at(Level::debug) = {false, 0.01};
  return c;
}

void store_levels(SamplerState& s, const LoggingConfig& config) {
  for (Level l : kLevels) {
    const LevelConfig& lc = config.at(l);
    LevelState& ls = s.levels[static_cast<std::size_t>(l)];
    auto threshold = static_cast<std::uint64_t>(std::llround(lc.sample_rate * 4294967296.0));
    ls.threshold.store(threshold, std::memory_order_relaxed);
    ls.enabled.store(lc.enabled, std::memory_order_relaxed);
  }
}

LoggingConfig current_config() {
  std::lock_guard lock(config_mutex);
  return config_in_force.value_or(default_config());
}

void apply(const LoggingConfig& config) {
  std::lock_guard lock(config_mutex);
  config_in_force = config;
  store_levels(state(), config);
  auto lowest = spdlog::level::off;
  for (Level l : kLevels) {
    if (config.at(l).enabled && to_spdlog(l) < lowest) lowest = to_spdlog(l);
  }
  if (auto* logger = spdlog::default_logger_raw()) logger->set_level(lowest);
}

Result<LoggingConfig> apply_update(const LoggingConfig& base, const nlohmann::json& update) {
  if (!update.is_object()) return bad("the body must be a JSON object");
  LoggingConfig next = base;
  for (const auto& [key, value] : update.items()) {
    if (key == "window_s") {
      if (!value.is_number_integer()) return bad("window_s must be an integer (seconds)");
      auto s = value.get<long long>();
      if (s < 1 || s > kMaxWindow.count()) return bad("window_s must be within 1..86400");
      next.window = std::chrono::seconds(s);
    } else if (key == "levels") {
      if (!value.is_object()) return bad("levels must be an object keyed by level name");
      for (const auto& [level_name, level] : value.items()) {
        auto l = level_from_name(level_name);
        if (!l) return bad("unknown level '" + level_name + "' (debug, info, warning, error, critical)");
        if (!level.is_object()) return bad("levels." + level_name + " must be an object");
        for (const auto& [field, v] : level.items()) {
          if (field == "enabled") {
            if (!v.is_boolean()) return bad("levels." + level_name + ".enabled must be true or false");
            next.at(*l).enabled = v.get<bool>();
          } else if (field == "sample_rate") {
            if (!v.is_number()) return bad("levels." + level_name + ".sample_rate must be a number");
            double rate = v.get<double>();
            if (!std::isfinite(rate) || rate < 0 || rate > 1) {
              return bad("levels." + level_name + ".sample_rate must be within 0..1");
            }
            next.at(*l).sample_rate = rate;
          } else {
            return bad("unknown field levels." + level_name + "." + field + " (enabled, sample_rate)");
          }
        }
      }
    } else {
      return bad("unknown field '" + key + "' (levels, window_s)");
    }
  }
  return next;
}

nlohmann::json to_json(const LoggingConfig& config) {
  nlohmann::json levels = nlohmann::json::object();
  for (Level l : kLevels) {
    levels[std::string(name(l))] = {{"enabled", config.at(l).enabled}, {"sample_rate", config.at(l).sample_rate}};
  }
  return {{"levels", std::move(levels)}, {"window_s", config.window.count()}};
}

}  // namespace dbg::coord::logging
