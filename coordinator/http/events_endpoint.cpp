#include "coordinator/http/events_endpoint.hpp"

#include <strings.h>

#include "coordinator/events/topics.hpp"
#include "coordinator/http/problem.hpp"
#include "coordinator/http/query.hpp"

namespace dbg::coord::http {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string known_topics() {
  std::string out;
  for (auto topic : events::kTopics) {
    if (!out.empty()) out += ", ";
    out += topic;
  }
  return out;
}

}  // namespace

bool same_origin(std::string_view origin, std::string_view host) {
  if (host.empty()) return false;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (origin.size() == scheme.size() + host.size() && iequals(origin.substr(0, scheme.size()), scheme) &&
        iequals(origin.substr(scheme.size()), host)) {
      return true;
    }
  }
  return false;
}

EventsAdmission admit_events_request(const HttpRequest& request, bool is_websocket_upgrade,
                                     const std::function<bool(const HttpRequest&)>& auth) {
  EventsAdmission out;
  if (!auth || !auth(request)) {
    out.refusal = unauthorized();
    return out;
  }
  if (request.method != "GET") {
    out.refusal = problem(405, std::string(kEventsPath) + " is a WebSocket endpoint: only GET is allowed");
    out.refusal->headers.emplace_back("Allow", "GET");
    return out;
  }
  if (!is_websocket_upgrade) {
    out.refusal = problem(426, std::string(kEventsPath) + " is a WebSocket endpoint: send a WebSocket upgrade request");
    // RFC 9110 15.5.22: a 426 names the protocol to switch to.
    out.refusal->headers.emplace_back("Upgrade", "websocket");
    return out;
  }
  if (auto origin = request.header("Origin")) {
    auto host = request.header("Host").value_or(std::string_view());
    if (!same_origin(*origin, host)) {
      out.refusal = problem(403, "cross-origin WebSocket refused: Origin '" + std::string(*origin) +
                                     "' is not this server (Host '" + std::string(host) + "')");
      return out;
    }
  }
  // ?token= is the credential (checked above); ?topics= the only other parameter.
  if (auto refusal = refuse_unknown_parameters(request.query, {"topics"})) {
    out.refusal = problem(400, *refusal);
    return out;
  }
  if (query_has(request.query, "topics")) {
    auto topics = query_param(request.query, "topics");
    if (!topics) {
      out.refusal = problem(400, "malformed percent-escape in ?topics=");
      return out;
    }
    std::string_view rest = *topics;
    for (;;) {
      auto comma = rest.find(',');
      auto topic = rest.substr(0, comma);
      if (!events::is_known_topic(topic)) {
        out.refusal = problem(400, "unknown topic '" + std::string(topic) + "' in ?topics=; known topics: " + known_topics());
        return out;
      }
      out.topics.emplace_back(topic);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return out;
}

}  // namespace dbg::coord::http
