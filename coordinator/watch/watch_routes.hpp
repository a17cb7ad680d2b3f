#pragma once
// POST /api/v1/watches (201), GET /api/v1/watches, GET and DELETE /api/v1/watches/{id}.
#include "coordinator/http/router.hpp"

namespace dbg::coord::watch {

class WatchManager;

void add_watch_routes(http::Router& router, WatchManager& manager);

}  // namespace dbg::coord::watch
