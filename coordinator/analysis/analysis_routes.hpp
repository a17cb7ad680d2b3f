#pragma once
// GET /api/v1/errors/{id}/analysis: the analysis of one group alone ({"id", "class",
// "confidence", "explanation", "model_version", "response_us", "cached", "similar"}); 400 for an
// id that is not a positive integer, 404 for an unknown group (problem+json). Also the decorator
// that adds "analysis" and "similar" to GET /api/v1/errors/{id}.
#include "coordinator/errors/error_routes.hpp"
#include "coordinator/http/router.hpp"

namespace dbg::coord::errors {
class ErrorService;
}

namespace dbg::coord::analysis {

class AnalysisService;

void add_analysis_routes(http::Router& router, errors::ErrorService& errors, AnalysisService& analysis);
errors::GroupDecorator group_decorator(AnalysisService& analysis);

}  // namespace dbg::coord::analysis
