#include "coordinator/http/problem.hpp"

#include <nlohmann/json.hpp>

namespace dbg::coord::http {

std::string_view reason_phrase(unsigned status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 507: return "Insufficient Storage";
    default: return "Error";
  }
}

HttpResponse problem(unsigned status, std::string_view detail) {
  nlohmann::json body = {
      {"type", "about:blank"},
      {"title", reason_phrase(status)},
      {"status", status},
      {"detail", detail},
  };
  HttpResponse response;
  response.status = status;
  response.content_type = "application/problem+json";
  // dump() with error_handler replace: a detail that echoes a client's invalid UTF-8 (a path,
  // say) must not turn a 404 into an exception.
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

HttpResponse unauthorized() {
  auto response = problem(401, "this resource needs the API token: send 'Authorization: Bearer <token>' "
                               "(the server's log says where the token file is)");
  // RFC 6750 3: a 401 names the scheme the client should use.
  response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"dbgcoord\"");
  return response;
}

}  // namespace dbg::coord::http
