#include "coordinator/analysis/analysis.hpp"

namespace dbg::coord::analysis {

nlohmann::json similar_json(const std::vector<SimilarGroup>& similar) {
  auto out = nlohmann::json::array();
  for (const auto& s : similar)
    out.push_back({{"id", s.id}, {"score", s.score}, {"type", s.type}, {"message", s.message}});
  return out;
}

nlohmann::json analysis_json(const Analysis& a, double response_us, bool cached) {
  return {{"class", a.cls},
          {"confidence", a.confidence},
          {"explanation", a.explanation},
          {"model_version", a.model_version ? nlohmann::json(*a.model_version) : nlohmann::json(nullptr)},
          {"response_us", response_us},
          {"cached", cached}};
}

}  // namespace dbg::coord::analysis
