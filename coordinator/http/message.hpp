#pragma once
// The request and response the router and handlers see. Deliberately free of Beast types: every
// handler module includes this header, and Beast's templates cost seconds per translation unit.
// http_session.cpp converts to and from Beast messages.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dbg::coord::http {

struct HttpRequest {
  std::string method;  // as sent, e.g. "GET"
  std::string target;  // raw request target, e.g. "/api/v1/errors?limit=5"
  std::string path;    // target before '?'
  std::string query;   // target after '?', without it; empty when absent
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Filled by the router from "{name}" segments of the matched route pattern.
  std::map<std::string, std::string, std::less<>> params;

  // First header with this name, compared case-insensitively (RFC 9110 5.1).
  std::optional<std::string_view> header(std::string_view name) const;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra headers (Allow, Retry-After, ...). Content-Type and Content-Length are set from the
  // fields above.
  std::vector<std::pair<std::string, std::string>> headers;
  // Close the connection after sending, e.g. after a request the parser could not frame.
  bool close = false;
};

// Splits a request target into path and query.
void split_target(std::string_view target, std::string* path, std::string* query);

}  // namespace dbg::coord::http
