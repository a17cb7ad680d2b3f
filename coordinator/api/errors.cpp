#include <map>

#include "coordinator/api/routes.hpp"
#include "coordinator/http/problem.hpp"
#include "dbg/protocol.hpp"

namespace dbg::coord::api {

http::HttpResponse error_response(const Error& e) {
  static const std::map<std::string, unsigned> kStatus = {
      {"bad_request", 400}, {"forbidden", 403}, {"not_found", 404},        {"conflict", 409},
      {"queue_full", 503},  {"unsupported_kind", 501}, {"shutting_down", 503},
      // A service this one depends on is unreachable (the fleet database): retry later.
      {"unavailable", 503},
      // The database's disk is full (store/store.cpp): 507 Insufficient Storage, a state of the
      // server the client cannot fix, and one that ends when space returns.
      {"disk_full", 507},
  };
  auto it = kStatus.find(e.code);
  unsigned status = it == kStatus.end() ? 500 : it->second;
  auto r = http::problem(status, e.message);
  if (status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

http::HttpResponse json_response(unsigned status, const nlohmann::json& body) {
  http::HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = protocol::dump(body);
  return r;
}

}  // namespace dbg::coord::api
