#pragma once
// What every connection needs from the rest of the coordinator, shared (immutable) by all of
// them: the routes, the event hub, the checks and the limits. Built once by app.cpp.
#include <functional>
#include <memory>

#include "coordinator/http/limits.hpp"
#include "coordinator/http/message.hpp"

namespace dbg::coord::events {
class Hub;
}

namespace dbg::coord::http {

class Router;

struct ServerContext {
  std::shared_ptr<const Router> router;
  // The live event stream, served as a WebSocket at kEventsPath (events_endpoint.hpp). Null:
  // no event stream; the path is then routed like any other.
  std::shared_ptr<events::Hub> hub;
  // Whether a request to the event stream carries the API token. Browsers cannot set headers
  // on a WebSocket, so app.cpp passes a check that also accepts ?token= and the cookie
  // (auth::token_check(token, true)). Unset: every event-stream request gets 401.
  std::function<bool(const HttpRequest&)> events_auth;
  HttpLimits limits;
};

}  // namespace dbg::coord::http
