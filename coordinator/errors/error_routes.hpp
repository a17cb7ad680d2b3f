#pragma once
// The error-group routes of /api/v1 (docs/api.md, "Errors"):
//   POST  /api/v1/errors/events   one event or {"events":[…]}; 201 after COMMIT with group ids
//   GET   /api/v1/errors/events   the most recent events (memory, no frames/context), ?limit
//   GET   /api/v1/errors          groups; ?status=open|resolved|ignored, ?class, ?since (unix ms,
//                                 last_seen >= since), ?limit (1..1000, default 100)
//   GET   /api/v1/errors/{id}     one group with its latest events and their context, ?events
//   PATCH /api/v1/errors/{id}     {"status":"open"|"resolved"|"ignored"}
#include "coordinator/http/router.hpp"

namespace dbg::coord::errors {

class ErrorService;

void add_error_routes(http::Router& router, ErrorService& service);

}  // namespace dbg::coord::errors
