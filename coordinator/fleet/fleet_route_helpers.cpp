#include "coordinator/fleet/fleet_route_helpers.hpp"

#include "coordinator/api/routes.hpp"

namespace dbg::coord::fleet {

http::HttpResponse not_in_fleet() {
  return api::error_response(Error{
      "not_found",
      "this coordinator is not in a fleet: start it with --fleet-db postgresql://USER@HOST/DB (or set fleet-db "
      "in its config file, or DBGCOORD_FLEET_DB) to join one"});
}

bool is_hex_id(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace dbg::coord::fleet
