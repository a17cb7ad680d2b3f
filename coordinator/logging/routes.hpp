#pragma once
// GET /api/v1/logging (configuration and counters), PUT /api/v1/logging (change it at run
// time; 400 and nothing changed on a bad value), GET /api/v1/logging/impact. Also registers the
// logging metric families.
namespace dbg::coord::http {
class Router;
}

namespace dbg::coord::logging {

void add_logging_routes(http::Router& router);

}  // namespace dbg::coord::logging
