#pragma once
// The fleet's routes: GET /api/v1/fleet (this host's standing), /api/v1/fleet/hosts,
// /api/v1/fleet/hosts/{host}/sessions (its sessions that ended), /api/v1/fleet/errors (merged groups; ?host=, ?class=, ?limit=), /api/v1/fleet/errors/{signature}.
// Without --fleet-db (fleet null) each answers 404 problem+json saying how to join.
#include "coordinator/services_fwd.hpp"

namespace dbg::coord::fleet {

class Fleet;

void add_fleet_routes(http::Router& router, Fleet* fleet);

}  // namespace dbg::coord::fleet
