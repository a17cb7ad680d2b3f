#pragma once
// GET /healthz: liveness for load balancers, container runtimes and scripts. No auth, no
// database access: it answers as long as the event loop runs.
#include <chrono>
#include <functional>

#include <nlohmann/json_fwd.hpp>

namespace dbg::coord::http {

class Router;

// `extra` (optional) adds to the body from memory only (the fleet's standing) and may set
// "status" to "degraded": the process serves, but a part of it does not work.
using HealthExtra = std::function<void(nlohmann::json& body)>;

void add_health_routes(Router& router, std::chrono::steady_clock::time_point started, HealthExtra extra = {});

}  // namespace dbg::coord::http
