// GET /api/v1/snapshots/{id}?format=json|text|folded&group=stack
#include "coordinator/api/query.hpp"
#include "coordinator/api/routes.hpp"
#include "coordinator/store/store.hpp"
#include "dbg/snapshot.hpp"
#include "dbg/snapshot_views.hpp"

namespace dbg::coord::api {

namespace {

http::HttpResponse text_response(std::string body) {
  http::HttpResponse r;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

}  // namespace

void add_snapshot_routes(http::Router& router, ApiContext ctx) {
  router.add_async("GET", "/api/v1/snapshots/{id}", [ctx](http::HttpRequest req, http::Reply reply) {
    const std::string& raw = req.params.at("id");
    auto parsed_id = parse_route_id(raw);
    if (!parsed_id) return reply(error_response(Error{"bad_request", "snapshot ids are positive integers, got \"" + raw + "\""}));
    const int64_t id = *parsed_id;
    auto q = parse_query(req.query, {"format", "group"});
    if (!q) return reply(error_response(q.error()));
    std::string format = q.value().count("format") ? q.value().at("format") : "json";
    std::string group = q.value().count("group") ? q.value().at("group") : "";
    if (format != "json" && format != "text" && format != "folded")
      return reply(error_response(Error{"bad_request", "format must be json, text or folded"}));
    if (!group.empty() && group != "stack")
      return reply(error_response(Error{"bad_request", "group must be \"stack\""}));
    ctx.store.load_snapshot(id, [reply, format, group, id](std::optional<store::StoredSnapshot> stored) {
      if (!stored) return reply(error_response(Error{"not_found", "no snapshot " + std::to_string(id)}));
      const Snapshot& snap = stored->snapshot;
      if (format == "folded") return reply(text_response(format_folded(snap)));
      if (format == "text") return reply(text_response(group == "stack" ? format_text_grouped(snap) : format_text(snap)));
      nlohmann::json body = group == "stack" ? group_by_stack_json(snap) : nlohmann::json(snap);
      body["id"] = stored->id;
      body["session_id"] = stored->session_id;
      body["taken_at_ms"] = stored->taken_at_ms;
      reply(json_response(200, body));
    });
  });
}

}  // namespace dbg::coord::api
