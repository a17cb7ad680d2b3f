#pragma once
// The error-group routes of /api/v1 (docs/api.md, "Errors"):
//   POST  /api/v1/errors/events   one event or {"events":[…]}; 201 after COMMIT with group ids
//   GET   /api/v1/errors/events   the most recent events (memory, no frames/context), ?limit
//   GET   /api/v1/errors          groups; ?status=open|resolved|ignored, ?class, ?since (unix ms,
//                                 last_seen >= since), ?limit (1..1000, default 100)
//   GET   /api/v1/errors/{id}     one group with its latest events and their context, ?events;
//                                 plus what the decorator adds (the analysis and similar groups)
//   PATCH /api/v1/errors/{id}     {"status":"open"|"resolved"|"ignored"}
#include <functional>

#include <nlohmann/json.hpp>

#include "coordinator/http/router.hpp"

namespace dbg::coord::errors {

class ErrorService;

// Called with each GET /api/v1/errors/{id} answer (the group with at least its latest event)
// before it is sent, on the store's reader thread. The error analysis adds its fields here,
// so this area does not depend on it.
using GroupDecorator = std::function<void(nlohmann::json& group)>;

void add_error_routes(http::Router& router, ErrorService& service, GroupDecorator decorate = {});

}  // namespace dbg::coord::errors
