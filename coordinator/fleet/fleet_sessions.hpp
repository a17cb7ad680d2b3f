#pragma once
// Fleet sessions in the fleet database (migrations/fleet/0002_fleet_sessions.sql): asked for on
// any coordinator, one task per host, run by each host's FleetTasks, read back merged.
//
// POST /api/v1/fleet/sessions {"hosts":"all"|["a","b"]|{"label":{"role":"db"}}, "kind":
// "snapshot"|"profile", "targets":{...}, "options":{...}, "deadline_s":N} — kind, targets and
// options exactly as POST /api/v1/sessions takes them, checked here the same way before
// anything is stored.
//
// A task's status as shown: queued, running, done, failed as its host wrote it; "host_down"
// for a task not finished on a host that missed three heartbeats; "timed_out" for one not
// finished by the session's deadline. The session is "done" once every task is in one of the
// last four, so a host that is down does not hold it.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "coordinator/fleet/fleet_profile.hpp"
#include "dbg/error.hpp"

namespace dbg::coord::fleet {

class PgConnection;

inline constexpr int kDefaultSessionDeadlineS = 120;
inline constexpr int kMaxSessionDeadlineS = 3600;

// What creating needs, checked (no database yet).
struct FleetSessionRequest {
  nlohmann::json hosts;  // "all", [names] or {"label":{...}}
  std::string kind;
  nlohmann::json targets, options;
  int deadline_s = kDefaultSessionDeadlineS;
};

// Error bad_request with what is wrong.
Result<FleetSessionRequest> parse_fleet_session_request(const std::string& body);

// A request refused by the database's contents (no such host, no host matches): 400.
struct FleetRequestError {
  std::string message;
};

// Stores the session and its tasks and notifies the hosts, in one transaction. Returns the view
// (session_view). Throws FleetRequestError or PgError.
nlohmann::json create_session(PgConnection& pg, const FleetSessionRequest& request, const std::string& created_by);

// The session, its tasks with the status above, and the stacks of every done task merged:
// "stacks":[{"stack","count","hosts":{host:count}}] (at most `stack_limit`, most samples first)
// and "hosts":{host:{status, targets, done, failed, samples, local_session_id, error}}.
// null when there is no such session.
nlohmann::json session_view(PgConnection& pg, const std::string& id, std::size_t stack_limit);
// The merged stacks in full (stack -> host -> count); nullopt when there is no such session.
std::optional<MergedStacks> session_stacks(PgConnection& pg, const std::string& id);
// "stack count\n" lines (flame graph tools), sorted by stack.
std::string folded_text(const MergedStacks& stacks);
// {"sessions":[head...]} newest first.
nlohmann::json list_sessions(PgConnection& pg, int limit);

}  // namespace dbg::coord::fleet
