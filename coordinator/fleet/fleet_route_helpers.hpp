#pragma once
// What the fleet's route files share: the 404 of a coordinator outside a fleet, and the check
// of the hex ids in fleet paths (group signatures, fleet session ids).
#include <string_view>

#include "coordinator/http/message.hpp"

namespace dbg::coord::fleet {

// 404 problem+json saying how to join (--fleet-db, the config key, the environment variable).
http::HttpResponse not_in_fleet();
// 1..64 lower-case hex digits.
bool is_hex_id(std::string_view s);

}  // namespace dbg::coord::fleet
