#pragma once
// The fleet sessions' routes: POST /api/v1/fleet/sessions (201 with the session, Location),
// GET /api/v1/fleet/sessions (newest first, ?limit=), GET /api/v1/fleet/sessions/{id}
// (?format=json|folded|speedscope|pprof, ?stacks=N for json). Without --fleet-db (fleet null)
// each answers 404 saying how to join, like the other fleet routes.
#include "coordinator/services_fwd.hpp"

namespace dbg::coord::fleet {

class Fleet;

void add_fleet_session_routes(http::Router& router, Fleet* fleet);

}  // namespace dbg::coord::fleet
