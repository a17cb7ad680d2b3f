#include "coordinator/analysis/analysis_routes.hpp"

#include <charconv>

#include "coordinator/analysis/analysis_service.hpp"
#include "coordinator/api/query.hpp"
#include "coordinator/api/routes.hpp"
#include "coordinator/errors/error_service.hpp"

namespace dbg::coord::analysis {

namespace {

std::optional<int64_t> parse_id(std::string_view text) {
  int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

}  // namespace

errors::GroupDecorator group_decorator(AnalysisService& analysis) {
  return [&analysis](nlohmann::json& group) { analysis.annotate(group); };
}

void add_analysis_routes(http::Router& router, errors::ErrorService& errors, AnalysisService& analysis) {
  router.add_async("GET", "/api/v1/errors/{id}/analysis", [&errors, &analysis](http::HttpRequest req, http::Reply reply) {
    const std::string& text = req.params.at("id");
    auto id = parse_id(text);
    if (!id) return reply(api::error_response(Error{"bad_request", "\"" + text + "\" is not a group id (a positive integer)"}));
    if (!req.query.empty()) return reply(api::error_response(Error{"bad_request", "this route takes no query parameters"}));
    errors.get_group(*id, 1, [reply, &analysis](Result<nlohmann::json> r) {
      if (!r) return reply(api::error_response(r.error()));
      reply(api::json_response(200, analysis.analysis_of(r.value())));
    });
  });
}

}  // namespace dbg::coord::analysis
