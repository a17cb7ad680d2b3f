// Sessions: POST /api/v1/sessions (202 once stored), GET list and one, DELETE to cancel.
#include "coordinator/api/query.hpp"
#include "coordinator/api/routes.hpp"
#include "coordinator/http/problem.hpp"
#include "coordinator/sessions/scheduler.hpp"
#include "coordinator/sessions/session_admission.hpp"
#include "coordinator/sessions/session_request.hpp"

namespace dbg::coord::api {

void add_session_routes(http::Router& router, ApiContext ctx) {
  router.add_async("POST", "/api/v1/sessions", [ctx](http::HttpRequest req, http::Reply reply) {
    if (auto q = parse_query(req.query, {}); !q) return reply(error_response(q.error()));
    if (auto refusal = sessions::refuse_when_over_budget(ctx.shedding)) {
      auto r = http::problem(503, refusal->message);
      r.headers.emplace_back("Retry-After", std::to_string(refusal->retry_after_s));
      return reply(std::move(r));
    }
    auto request = sessions::parse_session_request(req.body);
    if (!request) return reply(error_response(request.error()));
    sessions::cap_profile_rate(ctx.shedding, request.value());
    ctx.scheduler.create(std::move(request.value()), [reply](Result<nlohmann::json> r) {
      if (!r) return reply(error_response(r.error()));
      auto response = json_response(202, r.value());
      response.headers.emplace_back("Location", "/api/v1/sessions/" + r.value().at("id").get<std::string>());
      reply(std::move(response));
    });
  });
  router.add_async("GET", "/api/v1/sessions", [ctx](http::HttpRequest req, http::Reply reply) {
    auto q = parse_query(req.query, {"limit"});
    if (!q) return reply(error_response(q.error()));
    auto limit = int_param(q.value(), "limit", 50, 1, 1000);
    if (!limit) return reply(error_response(limit.error()));
    ctx.scheduler.list(static_cast<size_t>(limit.value()), [reply](Result<nlohmann::json> r) {
      reply(r ? json_response(200, r.value()) : error_response(r.error()));
    });
  });
  router.add_async("GET", "/api/v1/sessions/{id}", [ctx](http::HttpRequest req, http::Reply reply) {
    if (auto q = parse_query(req.query, {}); !q) return reply(error_response(q.error()));
    ctx.scheduler.get_text(req.params.at("id"), [reply](Result<std::string> r) {
      if (!r) return reply(error_response(r.error()));
      http::HttpResponse response;
      response.status = 200;
      response.content_type = "application/json";
      response.body = std::move(r.value());
      reply(std::move(response));
    });
  });
  router.add_async("DELETE", "/api/v1/sessions/{id}", [ctx](http::HttpRequest req, http::Reply reply) {
    if (auto q = parse_query(req.query, {}); !q) return reply(error_response(q.error()));
    ctx.scheduler.cancel(req.params.at("id"), [reply](Result<nlohmann::json> r) {
      reply(r ? json_response(200, r.value()) : error_response(r.error()));
    });
  });
}

}  // namespace dbg::coord::api
