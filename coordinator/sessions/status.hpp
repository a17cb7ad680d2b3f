#pragma once
// The lifecycle of a session, of each of its batches and of each target: one set of states,
// spelled in the API's JSON (and in the store's session rows) exactly as below.
//   queued -> running -> done | failed | cancelled        (a queued one may go straight to the end)
// Sessions, batches and targets share the set: a batch or target is "failed" only when the
// coordinator stops (or stopped) during its session, "cancelled" when its session was cancelled
// before it was dispatched.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace dbg::coord::sessions {

enum class Status { queued, running, done, failed, cancelled };
using SessionStatus = Status;
using BatchStatus = Status;
using TargetStatus = Status;

// "queued", "running", "done", "failed", "cancelled".
std::string_view to_string(Status status);
// nullopt for any other text.
std::optional<Status> status_from_string(std::string_view text);

// In JSON a status is its name (nlohmann finds this by ADL).
inline void to_json(nlohmann::json& j, Status s) { j = std::string(to_string(s)); }

// Queued or running: what a stop ends, and what a restart finds interrupted.
inline bool unfinished(Status s) { return s == Status::queued || s == Status::running; }

}  // namespace dbg::coord::sessions
