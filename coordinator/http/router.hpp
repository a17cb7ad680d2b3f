#pragma once
// Maps method + path to a handler. Patterns are literal segments plus "{name}" segments that
// capture one path segment into HttpRequest::params ("/api/v1/sessions/{id}"). A path that
// matches some route but not the method gets 405 with Allow; no match at all gets 404. Both are
// problem+json. HEAD is served by the GET route of the same path.
//
// Handlers answer through a Reply so that a later handler can hand work to another thread (the
// SQLite writer, the worker pool) and answer when it is done; the HTTP session keeps the
// connection open until then. A Reply may be called from any thread, at most once; dropping it
// without calling closes the connection.
//
// Authentication: set_auth() puts a check in front of every route under the given prefixes; a
// request that fails it gets 401 before any route is matched, so an unknown /api path answers
// exactly like a known one and the route table stays private.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "coordinator/http/message.hpp"

namespace dbg::coord::http {

using Reply = std::function<void(HttpResponse)>;
using AsyncHandler = std::function<void(HttpRequest, Reply)>;
using Handler = std::function<HttpResponse(const HttpRequest&)>;
// True when the request may proceed (it carries valid credentials).
using RequestCheck = std::function<bool(const HttpRequest&)>;
// Told about every answered request (for metrics): the route's pattern ("/api/v1/sessions/{id}",
// never the concrete path, so ids never become labels; "unauthorized", "unmatched" otherwise),
// the status, and the time from dispatch to reply. Called on the replying thread.
using RequestObserver = std::function<void(std::string_view route, unsigned status, std::chrono::steady_clock::duration)>;

class Router {
 public:
  // Registers a handler. Throws std::invalid_argument for a malformed pattern (not starting with
  // '/', or an empty "{}") and for a duplicate method + pattern: both are programming errors
  // found at start-up.
  void add_async(std::string method, std::string_view pattern, AsyncHandler handler);
  // Convenience for handlers that answer at once.
  void add(std::string method, std::string_view pattern, Handler handler);

  // Every request whose path is one of prefixes or lies below one ("/api", "/api/v1/x"; not
  // "/apix") must pass check, or gets 401 problem+json with "WWW-Authenticate: Bearer". Paths
  // outside them (/healthz) stay open. Call once, before serving.
  void set_auth(RequestCheck check, std::vector<std::string> prefixes = {"/api", "/metrics"});
  // Whether set_auth's prefixes cover path (the WebSocket endpoint asks before upgrading).
  bool requires_auth(std::string_view path) const;

  // Call once, before serving.
  void set_observer(RequestObserver observer) { observer_ = std::move(observer); }

  // The registered routes, in registration order: for `dbgcoord --list-routes`, which the
  // security tests use so that a route added later is checked for the token automatically.
  struct RouteInfo {
    std::string method;
    std::string pattern;
  };
  std::vector<RouteInfo> routes() const;

  // Routes one request. A handler that throws becomes a 500 problem (logged), never a dropped
  // connection or a crashed server.
  void dispatch(HttpRequest request, Reply reply) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;  // "{name}" kept as is
    AsyncHandler handler;
  };
  static bool match(const Route& route, const std::vector<std::string_view>& path_segments,
                    HttpRequest* request);
  std::vector<Route> routes_;
  RequestCheck auth_;
  RequestObserver observer_;
  std::vector<std::string> auth_prefixes_;
};

}  // namespace dbg::coord::http
