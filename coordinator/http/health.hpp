#pragma once
// GET /healthz: liveness for load balancers, container runtimes and scripts. No auth, no
// database access: it answers as long as the event loop runs.
#include <chrono>

namespace dbg::coord::http {

class Router;

void add_health_routes(Router& router, std::chrono::steady_clock::time_point started);

}  // namespace dbg::coord::http
