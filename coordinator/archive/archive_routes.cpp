#include "coordinator/archive/archive_routes.hpp"

#include "coordinator/api/query.hpp"
#include "coordinator/api/routes.hpp"
#include "coordinator/archive/archiver.hpp"
#include "dbg/protocol.hpp"

namespace dbg::coord::archive {

namespace {

Error bad(std::string message) { return Error{"bad_request", std::move(message)}; }

Result<ArchiveFilter> parse_filter(std::string_view query) {
  // An unknown parameter is refused: "?grup=3" must not silently list every archive.
  auto q = api::parse_query(query, {"group", "since", "limit"});
  if (!q) return q.error();
  ArchiveFilter filter;
  const auto& params = q.value();
  if (auto it = params.find("group"); it != params.end()) {
    filter.group_id = api::parse_route_id(it->second);
    if (!filter.group_id) return bad("\"group\" must be an error group id (a positive integer)");
  }
  auto window = api::time_window_params(params);
  if (!window) return window.error();
  filter.since_ms = window.value().since_ms;
  filter.limit = window.value().limit;
  return filter;
}

}  // namespace

void add_archive_routes(http::Router& router, Archiver& archiver) {
  router.add_async("POST", "/api/v1/archives/run", [&archiver](http::HttpRequest req, http::Reply reply) {
    // No options yet: an empty body or {} only, so a client sending options we would ignore
    // learns it now.
    if (!req.body.empty()) {
      auto body = protocol::parse_bounded_json(req.body);
      if (!body || !body.value().is_object() || !body.value().empty())
        return reply(api::error_response(bad("the body must be empty or {}")));
    }
    if (auto q = api::parse_query(req.query, {}); !q) return reply(api::error_response(q.error()));
    archiver.run_now([reply](Result<nlohmann::json> r) {
      reply(r ? api::json_response(200, r.value()) : api::error_response(r.error()));
    });
  });
  router.add_async("GET", "/api/v1/archives", [&archiver](http::HttpRequest req, http::Reply reply) {
    auto filter = parse_filter(req.query);
    if (!filter) return reply(api::error_response(filter.error()));
    archiver.list(filter.value(), [reply](Result<nlohmann::json> r) {
      reply(r ? api::json_response(200, r.value()) : api::error_response(r.error()));
    });
  });
  router.add_async("GET", "/api/v1/archives/{id}", [&archiver](http::HttpRequest req, http::Reply reply) {
    const std::string& text = req.params.at("id");
    auto id = api::parse_route_id(text);
    if (!id) return reply(api::error_response(bad("archive id \"" + text + "\" is not a positive integer")));
    if (auto q = api::parse_query(req.query, {}); !q) return reply(api::error_response(q.error()));
    archiver.get(*id, [reply](Result<nlohmann::json> r) {
      reply(r ? api::json_response(200, r.value()) : api::error_response(r.error()));
    });
  });
}

}  // namespace dbg::coord::archive
