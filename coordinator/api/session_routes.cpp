// Sessions: POST /api/v1/sessions (202 once stored), GET list and one, DELETE to cancel.
#include "coordinator/api/query.hpp"
#include "coordinator/api/routes.hpp"
#include "coordinator/budget/shedding.hpp"
#include "coordinator/http/problem.hpp"
#include "coordinator/sessions/scheduler.hpp"
#include "coordinator/sessions/session_request.hpp"

namespace dbg::coord::api {

void add_session_routes(http::Router& router, ApiContext ctx) {
  router.add_async("POST", "/api/v1/sessions", [ctx](http::HttpRequest req, http::Reply reply) {
    if (auto q = parse_query(req.query, {}); !q) return reply(error_response(q.error()));
    // Over budget, refusing is the cheapest answer, so it comes before parsing the body.
    if (ctx.shedding && ctx.shedding->refuse_sessions()) {
      ctx.shedding->count_refusal();
      auto r = http::problem(503, "the coordinator is over its memory or CPU budget and refuses new sessions until it is "
                                  "back under it (GET /api/v1/stats, \"budget\")");
      r.headers.emplace_back("Retry-After", std::to_string(ctx.shedding->retry_after_s()));
      return reply(std::move(r));
    }
    auto request = sessions::parse_session_request(req.body);
    if (!request) return reply(error_response(request.error()));
    if (ctx.shedding && request.value().kind == "profile") {
      auto& r = request.value();
      const int capped = ctx.shedding->cap_profile_hz(r.profile_options.hz);
      if (capped != r.profile_options.hz) {
        // The job's options are what the worker gets; the session shows the rate it ran at.
        r.profile_options.hz = capped;
        r.options["hz"] = capped;
        ctx.shedding->count_capped();
      }
    }
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
    ctx.scheduler.get(req.params.at("id"), [reply](Result<nlohmann::json> r) {
      reply(r ? json_response(200, r.value()) : error_response(r.error()));
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
