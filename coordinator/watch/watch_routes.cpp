#include "coordinator/watch/watch_routes.hpp"

#include "coordinator/api/query.hpp"
#include "coordinator/api/routes.hpp"
#include "coordinator/watch/watch_manager.hpp"
#include "coordinator/watch/watch_request.hpp"

namespace dbg::coord::watch {

void add_watch_routes(http::Router& router, WatchManager& manager) {
  WatchManager* m = &manager;
  router.add_async("POST", "/api/v1/watches", [m](http::HttpRequest req, http::Reply reply) {
    if (auto q = api::parse_query(req.query, {}); !q) return reply(api::error_response(q.error()));
    auto request = parse_watch_request(req.body);
    if (!request) return reply(api::error_response(request.error()));
    m->create(std::move(request.value()), [reply](Result<nlohmann::json> r) {
      if (!r) return reply(api::error_response(r.error()));
      auto response = api::json_response(201, r.value());
      response.headers.emplace_back("Location", "/api/v1/watches/" + r.value().at("id").get<std::string>());
      reply(std::move(response));
    });
  });
  router.add_async("GET", "/api/v1/watches", [m](http::HttpRequest req, http::Reply reply) {
    if (auto q = api::parse_query(req.query, {}); !q) return reply(api::error_response(q.error()));
    m->list([reply](nlohmann::json j) { reply(api::json_response(200, j)); });
  });
  router.add_async("GET", "/api/v1/watches/{id}", [m](http::HttpRequest req, http::Reply reply) {
    if (auto q = api::parse_query(req.query, {}); !q) return reply(api::error_response(q.error()));
    m->get(req.params.at("id"), [reply](Result<nlohmann::json> r) {
      reply(r ? api::json_response(200, r.value()) : api::error_response(r.error()));
    });
  });
  router.add_async("DELETE", "/api/v1/watches/{id}", [m](http::HttpRequest req, http::Reply reply) {
    if (auto q = api::parse_query(req.query, {}); !q) return reply(api::error_response(q.error()));
    m->remove(req.params.at("id"), [reply](Result<nlohmann::json> r) {
      reply(r ? api::json_response(200, r.value()) : api::error_response(r.error()));
    });
  });
}

}  // namespace dbg::coord::watch
