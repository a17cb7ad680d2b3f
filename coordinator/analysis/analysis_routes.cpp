#include "coordinator/analysis/analysis_routes.hpp"

#include "coordinator/analysis/analysis_service.hpp"
#include "coordinator/api/query.hpp"
#include "coordinator/api/routes.hpp"
#include "coordinator/errors/error_service.hpp"

namespace dbg::coord::analysis {

errors::GroupDecorator group_decorator(AnalysisService& analysis) {
  return [&analysis](nlohmann::json& group) { analysis.annotate(group); };
}

void add_analysis_routes(http::Router& router, errors::ErrorService& errors, AnalysisService& analysis) {
  router.add_async("GET", "/api/v1/errors/{id}/analysis", [&errors, &analysis](http::HttpRequest req, http::Reply reply) {
    const std::string& text = req.params.at("id");
    auto id = api::parse_route_id(text);
    if (!id) return reply(api::error_response(Error{"bad_request", "\"" + text + "\" is not a group id (a positive integer)"}));
    if (auto q = api::parse_query(req.query, {}); !q) return reply(api::error_response(q.error()));
    errors.get_group(*id, 1, [reply, &analysis](Result<nlohmann::json> r) {
      if (!r) return reply(api::error_response(r.error()));
      reply(api::json_response(200, analysis.analysis_of(r.value())));
    });
  });
}

}  // namespace dbg::coord::analysis
