#pragma once
// GET /api/v1/events: who may open the live event stream, decided on the plain HTTP request
// before the WebSocket handshake, so every refusal is an ordinary problem+json response.
// Beast-free, so the rules are unit-tested without sockets.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coordinator/http/message.hpp"

namespace dbg::coord::http {

inline constexpr std::string_view kEventsPath = "/api/v1/events";

struct EventsAdmission {
  // Set when the request is refused: the response to send instead of upgrading.
  std::optional<HttpResponse> refusal;
  // From ?topics=a,b; empty means every topic.
  std::vector<std::string> topics;
};

// In this order: 401 without a valid token (auth may accept the query and cookie forms);
// 405 for a method other than GET; 426 for a GET that is not a WebSocket upgrade; 403 when an
// Origin header names another origin than the Host header (a web page elsewhere must not use
// the operator's cookie to read events, RFC 6455 10.2); 400 for an empty or unknown topic.
EventsAdmission admit_events_request(const HttpRequest& request, bool is_websocket_upgrade,
                                     const std::function<bool(const HttpRequest&)>& auth);

// Whether origin ("http://host:port", "null", ...) is the site served at host (the Host
// header). Both schemes are accepted: a TLS-terminating proxy in front of us leaves Host as is.
bool same_origin(std::string_view origin, std::string_view host);

}  // namespace dbg::coord::http
