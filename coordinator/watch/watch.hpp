#pragma once
// Watch: one crash watch as the manager holds it in memory (coordinator/watch/watch_manager.hpp),
// how the API shows it (to_json) and how it is stored and read back (watch_rows.hpp).
// Plain data; the manager's strand is its only user.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // libstdc++ <regex> under -fsanitize (process_match.hpp)
#endif
#include <cstdint>
#include <optional>
#include <regex>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "coordinator/watch/watch_rows.hpp"

namespace dbg::coord::watch {

struct Watch {
  std::string id;
  std::optional<int> pid;            // a pid watch
  std::optional<std::string> match;  // a match watch, and its compiled pattern
  std::optional<std::regex> pattern;
  // "ptrace" (the watcher seizes the processes) or "core" (the kernel's core_pattern handler
  // reports their crashes: coordinator/crash/); a core watch has a match or `all`.
  std::string mode = "ptrace";
  bool all = false;
  nlohmann::json options = nlohmann::json::object();
  std::string status = "active";  // "active" or "ended"
  std::string ended_reason;
  int64_t created_at_ms = 0;
  uint64_t start_time = 0;  // a pid watch's process start time (clock ticks since boot)
  std::set<int> pids;       // attached now
  int crashes = 0, exits = 0;
  nlohmann::json last_event = nullptr;

  nlohmann::json to_json() const;
  WatchRow to_row() const;
  // The stored watch (its attached pids are not stored: empty). nullopt for a match watch whose
  // pattern no longer compiles.
  static std::optional<Watch> from_row(const WatchRow& row);
  bool is_core() const { return mode == "core"; }
};

// Sortable and unique across restarts: creation time, then randomness.
std::string new_watch_id();

}  // namespace dbg::coord::watch
