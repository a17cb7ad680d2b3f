#pragma once
// The watcher's crash and exit lines as errors::ErrorEvents (coordinator/errors/error_event.hpp):
// source "watch"; kind "crash" with the crashing thread's frames and the rest of the minimal
// context, or "exit" ("exit/3", no frames).
#include <nlohmann/json.hpp>

#include "coordinator/errors/error_event.hpp"

namespace dbg::coord::watch {

// line: {"type":"crash","pid","context":{…}}; throws nlohmann::json::exception on a malformed one.
errors::ErrorEvent crash_to_event(const nlohmann::json& line, const std::string& watch_id);
// line: {"type":"exit","pid","status","comm","timestamp_ms"}.
errors::ErrorEvent exit_to_event(const nlohmann::json& line, const std::string& watch_id);

}  // namespace dbg::coord::watch
