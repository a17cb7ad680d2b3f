#pragma once
// The REST routes of /api/v1 (DESIGN.md): processes, sessions, snapshots. Handlers validate,
// hand work to the scheduler, the store or the blocking pool, and answer through the Reply when
// that work is done; none of them blocks the network thread.
#include <boost/asio/any_io_executor.hpp>

#include <nlohmann/json.hpp>

#include "coordinator/http/router.hpp"
#include "coordinator/services_fwd.hpp"
#include "dbg/error.hpp"

namespace dbg::coord::api {

struct ApiContext {
  sessions::Scheduler& scheduler;
  sessions::TargetResolver& resolver;
  store::Store& store;
  boost::asio::any_io_executor blocking;  // /proc reads
  // The budget's load shedding (coordinator/budget/): lowers new profiles' rate, refuses new
  // sessions. Null: no budget.
  budget::Shedding* shedding = nullptr;
};

void add_api_routes(http::Router& router, ApiContext context);

// problem+json for an Error, with the status its code stands for (bad_request 400,
// forbidden 403, not_found 404, conflict 409, queue_full 503 + Retry-After, ...).
http::HttpResponse error_response(const Error& e);
http::HttpResponse json_response(unsigned status, const nlohmann::json& body);

}  // namespace dbg::coord::api
