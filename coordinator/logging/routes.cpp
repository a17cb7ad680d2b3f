#include "coordinator/logging/routes.hpp"

#include <mutex>

#include "coordinator/api/query.hpp"
#include "coordinator/api/routes.hpp"
#include "coordinator/http/router.hpp"
#include "coordinator/logging/log.hpp"
#include "coordinator/logging/logger.hpp"
#include "coordinator/logging/logging_config.hpp"
#include "dbg/protocol.hpp"

namespace dbg::coord::logging {

namespace {

nlohmann::json config_with_counters() {
  auto j = to_json(current_config());
  nlohmann::json counts = nlohmann::json::object();
  for (Level l : kLevels) {
    auto c = counters(l);
    counts[std::string(name(l))] = {{"written", c.written}, {"dropped", c.dropped}, {"first_in_window", c.first_in_window}};
  }
  j["counters"] = std::move(counts);
  return j;
}

// PUTs are serialized so that two concurrent partial updates cannot lose one another.
std::mutex put_mutex;

}  // namespace

void add_logging_routes(http::Router& router) {
  register_metrics();
  router.add("GET", "/api/v1/logging", [](const http::HttpRequest& req) {
    if (auto q = api::parse_query(req.query, {}); !q) return api::error_response(q.error());
    return api::json_response(200, config_with_counters());
  });
  router.add("PUT", "/api/v1/logging", [](const http::HttpRequest& req) {
    if (auto q = api::parse_query(req.query, {}); !q) return api::error_response(q.error());
    auto body = protocol::parse_bounded_json(req.body);
    if (!body) return api::error_response(Error{"bad_request", body.error().message});
    std::lock_guard lock(put_mutex);
    auto next = apply_update(current_config(), body.value());
    if (!next) return api::error_response(next.error());
    apply(next.value());
    DBG_LOG_INFO("logging configuration changed: {}", to_json(next.value()).dump());
    return api::json_response(200, config_with_counters());
  });
  router.add("GET", "/api/v1/logging/impact", [](const http::HttpRequest& req) {
    if (auto q = api::parse_query(req.query, {}); !q) return api::error_response(q.error());
    return api::json_response(200, impact());
  });
}

}  // namespace dbg::coord::logging
