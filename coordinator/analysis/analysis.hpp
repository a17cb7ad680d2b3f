#pragma once
// One group's analysis: what the classifier said and which groups look like it. What the cache
// holds per signature, and what GET /api/v1/errors/{id}/analysis answers.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dbg::coord::analysis {

struct SimilarGroup {
  int64_t id = 0;
  double score = 0;  // estimated Jaccard similarity of the two groups' frame shingles, 0..1
  std::string type;
  std::string message;
};

struct Analysis {
  std::string cls;
  double confidence = 0;
  std::string explanation;
  std::optional<int> model_version;  // nullopt: no usable model (class "unknown", confidence 0)
  std::vector<SimilarGroup> similar;
  std::uint64_t feature_hash = 0;     // of the event it was computed from (cache validity)
  std::uint64_t index_generation = 0; // of the similarity index when `similar` was computed
};

// {"class","confidence","explanation","model_version","response_us","cached"}.
nlohmann::json analysis_json(const Analysis& a, double response_us, bool cached);
// [{"id","score","type","message"}].
nlohmann::json similar_json(const std::vector<SimilarGroup>& similar);

}  // namespace dbg::coord::analysis
