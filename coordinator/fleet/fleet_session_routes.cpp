#include "coordinator/fleet/fleet_session_routes.hpp"

#include "coordinator/api/query.hpp"
#include "coordinator/api/routes.hpp"
#include "coordinator/fleet/fleet.hpp"
#include "coordinator/fleet/fleet_route_helpers.hpp"
#include "coordinator/fleet/fleet_sessions.hpp"
#include "coordinator/fleet/pg.hpp"
#include "coordinator/http/router.hpp"
#include "coordinator/profiles/profile_exports.hpp"
#include "dbg/protocol.hpp"

namespace dbg::coord::fleet {

namespace {

http::HttpResponse body_response(std::string body, std::string content_type, const std::string& file_name = {}) {
  http::HttpResponse r;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  if (!file_name.empty()) r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + file_name + "\"");
  return r;
}

}  // namespace

void add_fleet_session_routes(http::Router& router, Fleet* fleet) {
  if (!fleet) {
    for (const char* path : {"/api/v1/fleet/sessions", "/api/v1/fleet/sessions/{id}"})
      router.add("GET", path, [](const http::HttpRequest&) { return not_in_fleet(); });
    router.add("POST", "/api/v1/fleet/sessions", [](const http::HttpRequest&) { return not_in_fleet(); });
    return;
  }
  router.add_async("POST", "/api/v1/fleet/sessions", [fleet](http::HttpRequest req, http::Reply reply) {
    if (auto q = api::parse_query(req.query, {}); !q) return reply(api::error_response(q.error()));
    auto request = parse_fleet_session_request(req.body);
    if (!request) return reply(api::error_response(request.error()));
    const std::string created_by = fleet->status().value("host", "");
    fleet->reads().run(
        [reply](Result<nlohmann::json> r) {
          if (!r) return reply(api::error_response(r.error()));
          auto response = api::json_response(201, r.value());
          response.headers.emplace_back("Location", "/api/v1/fleet/sessions/" + r.value().at("id").get<std::string>());
          reply(std::move(response));
        },
        [request = std::move(request.value()), created_by](PgConnection& pg) {
          return create_session(pg, request, created_by);
        });
  });
  router.add_async("GET", "/api/v1/fleet/sessions", [fleet](http::HttpRequest req, http::Reply reply) {
    auto q = api::parse_query(req.query, {"limit"});
    if (!q) return reply(api::error_response(q.error()));
    auto limit = api::int_param(q.value(), "limit", 50, 1, 1000);
    if (!limit) return reply(api::error_response(limit.error()));
    fleet->reads().run(
        [reply](Result<nlohmann::json> r) {
          reply(r ? api::json_response(200, r.value()) : api::error_response(r.error()));
        },
        [n = static_cast<int>(limit.value())](PgConnection& pg) { return list_sessions(pg, n); });
  });
  router.add_async("GET", "/api/v1/fleet/sessions/{id}", [fleet](http::HttpRequest req, http::Reply reply) {
    const std::string id = req.params.at("id");
    if (!is_hex_id(id)) return reply(api::error_response(Error{"not_found", "no fleet session " + id}));
    auto q = api::parse_query(req.query, {"format", "stacks"});
    if (!q) return reply(api::error_response(q.error()));
    const std::string format = q.value().count("format") ? q.value().at("format") : "json";
    if (format != "json" && format != "folded" && format != "speedscope" && format != "pprof")
      return reply(api::error_response(Error{"bad_request", "format must be json, folded, speedscope or pprof"}));
    auto stacks = api::int_param(q.value(), "stacks", 200, 0, 100000);
    if (!stacks) return reply(api::error_response(stacks.error()));
    if (format == "json") {
      return fleet->reads().run(
          [reply](Result<nlohmann::json> r) {
            reply(r ? api::json_response(200, r.value()) : api::error_response(r.error()));
          },
          [id, n = static_cast<std::size_t>(stacks.value())](PgConnection& pg) { return session_view(pg, id, n); });
    }
    fleet->reads().run_raw([reply, id, format](PgConnection* pg, const std::string& failure) {
      if (!pg) return reply(api::error_response(Error{"unavailable", failure}));
      try {
        auto merged = session_stacks(*pg, id);
        if (!merged) return reply(api::error_response(Error{"not_found", "no fleet session " + id}));
        if (format == "folded") return reply(body_response(folded_text(*merged), "text/plain; charset=utf-8"));
        const Profile p = merged_profile(*merged, "fleet session " + id);
        if (format == "speedscope")
          return reply(body_response(protocol::dump(profiles::to_speedscope(p, p.comm)), "application/json",
                                     "fleet-" + id + ".speedscope.json"));
        reply(body_response(profiles::to_pprof_gzip(p), "application/octet-stream", "fleet-" + id + ".pb.gz"));
      } catch (const std::exception& e) {
        reply(api::error_response(Error{"unavailable", std::string("fleet database: ") + e.what()}));
      }
    });
  });
}

}  // namespace dbg::coord::fleet
