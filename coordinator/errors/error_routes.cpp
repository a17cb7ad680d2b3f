#include "coordinator/errors/error_routes.hpp"

#include <algorithm>

#include "coordinator/api/query.hpp"
#include "coordinator/api/routes.hpp"
#include "coordinator/errors/error_service.hpp"
#include "dbg/protocol.hpp"

namespace dbg::coord::errors {

namespace {

constexpr std::size_t kMaxClassFilterBytes = 128;

Error bad(std::string message) { return Error{"bad_request", std::move(message)}; }

http::HttpResponse no_group(const std::string& id) {
  return api::error_response(Error{"not_found", "no error group " + id});
}

Result<GroupFilter> parse_filter(std::string_view query) {
  auto q = api::parse_query(query, {"status", "class", "since", "limit"});
  if (!q) return q.error();
  GroupFilter filter;
  const auto& params = q.value();
  if (auto it = params.find("status"); it != params.end()) {
    filter.status = parse_status(it->second);
    if (!filter.status) return bad("\"status\" must be open, resolved or ignored");
  }
  if (auto it = params.find("class"); it != params.end()) {
    if (it->second.empty() || it->second.size() > kMaxClassFilterBytes)
      return bad("\"class\" must be 1.." + std::to_string(kMaxClassFilterBytes) + " bytes");
    filter.error_class_filter = it->second;
  }
  auto window = api::time_window_params(params);
  if (!window) return window.error();
  filter.since_ms = window.value().since_ms;
  filter.limit = window.value().limit;
  return filter;
}

}  // namespace

void add_error_routes(http::Router& router, ErrorService& service, GroupDecorator decorate) {
  router.add_async("POST", "/api/v1/errors/events", [&service](http::HttpRequest req, http::Reply reply) {
    if (auto q = api::parse_query(req.query, {}); !q) return reply(api::error_response(q.error()));
    service.record_body(std::move(req.body), [reply](Result<std::vector<int64_t>> stored) {
      if (!stored) return reply(api::error_response(stored.error()));
      const auto n = stored.value().size();
      reply(api::json_response(201, nlohmann::json{{"accepted", n}, {"group_ids", std::move(stored.value())}}));
    });
  });
  router.add("GET", "/api/v1/errors/events", [&service](const http::HttpRequest& req) {
    auto q = api::parse_query(req.query, {"limit"});
    if (!q) return api::error_response(q.error());
    auto limit = api::int_param(q.value(), "limit", 100, 1, 1000);
    if (!limit) return api::error_response(limit.error());
    return api::json_response(200, nlohmann::json{{"events", service.recent_events(static_cast<std::size_t>(limit.value()))}});
  });
  router.add_async("GET", "/api/v1/errors", [&service](http::HttpRequest req, http::Reply reply) {
    auto filter = parse_filter(req.query);
    if (!filter) return reply(api::error_response(filter.error()));
    service.list_groups(std::move(filter.value()), [reply](Result<nlohmann::json> r) {
      reply(r ? api::json_response(200, r.value()) : api::error_response(r.error()));
    });
  });
  router.add_async("GET", "/api/v1/errors/{id}", [&service, decorate](http::HttpRequest req, http::Reply reply) {
    const std::string& text = req.params.at("id");
    auto id = api::parse_route_id(text);
    if (!id) return reply(no_group(text));
    auto q = api::parse_query(req.query, {"events"});
    if (!q) return reply(api::error_response(q.error()));
    auto latest = api::int_param(q.value(), "events", 20, 0, 100);
    if (!latest) return reply(api::error_response(latest.error()));
    // The decorator needs the latest event even when the client asked for none.
    const int asked = static_cast<int>(latest.value());
    const int read = decorate ? std::max(asked, 1) : asked;
    service.get_group(*id, read, [reply, decorate, asked](Result<nlohmann::json> r) {
      if (!r) return reply(api::error_response(r.error()));
      auto& group = r.value();
      if (decorate) {
        decorate(group);
        if (asked == 0) group["events"] = nlohmann::json::array();
      }
      reply(api::json_response(200, group));
    });
  });
  router.add_async("PATCH", "/api/v1/errors/{id}", [&service](http::HttpRequest req, http::Reply reply) {
    const std::string& text = req.params.at("id");
    auto id = api::parse_route_id(text);
    if (!id) return reply(no_group(text));
    if (auto q = api::parse_query(req.query, {}); !q) return reply(api::error_response(q.error()));
    auto body = protocol::parse_bounded_json(req.body);
    if (!body) return reply(api::error_response(bad(body.error().message)));
    const auto& j = body.value();
    if (!j.is_object() || j.size() != 1 || !j.contains("status"))
      return reply(api::error_response(bad("the body must be {\"status\":\"open\"|\"resolved\"|\"ignored\"}")));
    const auto& s = j.at("status");
    auto status = s.is_string() ? parse_status(s.get_ref<const std::string&>()) : std::nullopt;
    if (!status) return reply(api::error_response(bad("\"status\" must be open, resolved or ignored")));
    service.set_status(*id, *status, [reply](Result<nlohmann::json> r) {
      reply(r ? api::json_response(200, r.value()) : api::error_response(r.error()));
    });
  });
}

}  // namespace dbg::coord::errors
