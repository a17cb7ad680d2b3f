#pragma once
// Beast's parsed request as the router's HttpRequest. Header-only (Beast is templates) and
// included only where Beast already is: http_session.cpp, and the HTTP fuzz target, which must
// hand the router exactly what a connection would.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "coordinator/http/message.hpp"

namespace dbg::coord::http {

// Moves the body out of message; the header stays readable (keep-alive, version, upgrade).
inline HttpRequest to_http_request(boost::beast::http::request<boost::beast::http::string_body>& message) {
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  split_target(request.target, &request.path, &request.query);
  for (const auto& field : message) {
    request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  request.body = std::move(message.body());
  return request;
}

}  // namespace dbg::coord::http
