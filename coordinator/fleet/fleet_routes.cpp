#include "coordinator/fleet/fleet_routes.hpp"

#include "coordinator/api/query.hpp"
#include "coordinator/api/routes.hpp"
#include "coordinator/fleet/fleet.hpp"
#include "coordinator/fleet/fleet_route_helpers.hpp"
#include "coordinator/fleet/fleet_settings.hpp"
#include "coordinator/http/router.hpp"

namespace dbg::coord::fleet {

namespace {

constexpr const char* kPaths[] = {"/api/v1/fleet", "/api/v1/fleet/hosts", "/api/v1/fleet/hosts/{host}/sessions",
                                  "/api/v1/fleet/errors", "/api/v1/fleet/errors/{signature}"};

FleetReads::Done answer(http::Reply reply) {
  return [reply = std::move(reply)](Result<nlohmann::json> r) {
    reply(r ? api::json_response(200, r.value()) : api::error_response(r.error()));
  };
}

}  // namespace

void add_fleet_routes(http::Router& router, Fleet* fleet) {
  if (!fleet) {
    for (const char* path : kPaths) router.add("GET", path, [](const http::HttpRequest&) { return not_in_fleet(); });
    return;
  }
  router.add("GET", "/api/v1/fleet", [fleet](const http::HttpRequest& req) {
    if (auto q = api::parse_query(req.query, {}); !q) return api::error_response(q.error());
    return api::json_response(200, fleet->status());
  });
  router.add_async("GET", "/api/v1/fleet/hosts", [fleet](http::HttpRequest req, http::Reply reply) {
    if (auto q = api::parse_query(req.query, {}); !q) return reply(api::error_response(q.error()));
    fleet->reads().hosts(answer(std::move(reply)));
  });
  router.add_async("GET", "/api/v1/fleet/hosts/{host}/sessions", [fleet](http::HttpRequest req, http::Reply reply) {
    const std::string host = req.params.at("host");
    if (auto why = check_host_name(host)) return reply(api::error_response(Error{"bad_request", *why}));
    auto q = api::parse_query(req.query, {"limit"});
    if (!q) return reply(api::error_response(q.error()));
    auto limit = api::int_param(q.value(), "limit", 50, 1, 1000);
    if (!limit) return reply(api::error_response(limit.error()));
    fleet->reads().host_sessions(host, static_cast<int>(limit.value()), answer(std::move(reply)));
  });
  router.add_async("GET", "/api/v1/fleet/errors", [fleet](http::HttpRequest req, http::Reply reply) {
    auto q = api::parse_query(req.query, {"host", "class", "limit"});
    if (!q) return reply(api::error_response(q.error()));
    const auto& params = q.value();
    FleetGroupFilter filter;
    auto limit = api::int_param(params, "limit", 100, 1, 1000);
    if (!limit) return reply(api::error_response(limit.error()));
    filter.limit = static_cast<int>(limit.value());
    if (auto it = params.find("host"); it != params.end()) {
      if (auto why = check_host_name(it->second)) return reply(api::error_response(Error{"bad_request", "\"host\": " + *why}));
      filter.host = it->second;
    }
    if (auto it = params.find("class"); it != params.end()) {
      if (it->second.empty() || it->second.size() > 128)
        return reply(api::error_response(Error{"bad_request", "\"class\" must be 1..128 bytes"}));
      filter.error_class = it->second;
    }
    fleet->reads().groups(std::move(filter), answer(std::move(reply)));
  });
  router.add_async("GET", "/api/v1/fleet/errors/{signature}", [fleet](http::HttpRequest req, http::Reply reply) {
    const std::string& signature = req.params.at("signature");
    if (!is_hex_id(signature))
      return reply(api::error_response(Error{"not_found", "no such group in the fleet: a signature is hex digits"}));
    if (auto q = api::parse_query(req.query, {}); !q) return reply(api::error_response(q.error()));
    fleet->reads().group(signature, answer(std::move(reply)));
  });
}

}  // namespace dbg::coord::fleet
