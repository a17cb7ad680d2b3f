#pragma once
// The HTTP routes of the coordinator: every area's routes registered on one Router over the
// services, the dashboard's static files, and the token check in front of /api and /metrics.
#include <chrono>
#include <memory>
#include <string>

#include "coordinator/http/router.hpp"

namespace dbg::coord {

struct Services;

std::shared_ptr<http::Router> build_router(Services& services, const std::string& token,
                                           std::chrono::steady_clock::time_point started);

}  // namespace dbg::coord
