#include "coordinator/analysis/model.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

namespace dbg::coord::analysis {

namespace {

Error bad(std::string message) { return Error{"bad_model", std::move(message)}; }

constexpr std::size_t kEvidence = 4;

}  // namespace

Result<Model> Model::parse(std::string_view json_text) {
  auto j = nlohmann::json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  try {
    if (j.value("format", std::string()) != "dbgcoord-crash-classifier") return bad("\"format\" is not dbgcoord-crash-classifier");
    Model m;
    m.version_ = j.at("version").get<int>();
    const auto& spec = j.at("features");
    // The weights mean something only for the feature set they were trained on.
    if (spec.at("name").get<std::string>() != "crash-features" || spec.at("version").get<int>() != 1)
      return bad("feature set " + spec.dump() + " is not crash-features version 1");
    m.classes_ = j.at("classes").get<std::vector<std::string>>();
    if (m.classes_.size() < 2) return bad("fewer than 2 classes");
    m.threshold_ = j.at("threshold").get<double>();
    if (!(m.threshold_ >= 0 && m.threshold_ <= 1)) return bad("\"threshold\" must be in [0, 1]");
    m.bias_ = j.at("bias").get<std::vector<double>>();
    if (m.bias_.size() != m.classes_.size()) return bad("\"bias\" needs one value per class");
    const auto& weights = j.at("weights");
    if (!weights.is_object()) return bad("\"weights\" must be an object");
    m.weights_.reserve(weights.size());
    for (const auto& [feature, w] : weights.items()) {
      auto v = w.get<std::vector<double>>();
      if (v.size() != m.classes_.size()) return bad("weights of \"" + feature + "\" need one value per class");
      for (double x : v)
        if (!std::isfinite(x)) return bad("weights of \"" + feature + "\" are not finite");
      m.weights_.emplace(feature, std::move(v));
    }
    return m;
  } catch (const nlohmann::json::exception& e) {
    return bad(std::string("malformed model: ") + e.what());
  }
}

Prediction Model::predict(const std::vector<std::string>& features) const {
  const std::size_t k = classes_.size();
  std::vector<double> z(bias_);
  std::vector<const std::pair<const std::string, std::vector<double>>*> present;
  present.reserve(features.size());
  for (const auto& f : features) {
    auto it = weights_.find(f);
    if (it == weights_.end()) continue;
    present.push_back(&*it);
    for (std::size_t c = 0; c < k; ++c) z[c] += it->second[c];
  }
  const double top = *std::max_element(z.begin(), z.end());
  double sum = 0;
  for (double v : z) sum += std::exp(v - top);
  const std::size_t best = static_cast<std::size_t>(std::max_element(z.begin(), z.end()) - z.begin());
  Prediction p;
  p.confidence = 1.0 / sum;  // exp(top - top) / sum
  p.cls = p.confidence < threshold_ ? std::string(kUnknownClass) : classes_[best];
  // Evidence: the features with the largest weight for the winning class over their mean
  // weight for the others (what made this class win, not what every class shares).
  for (const auto* entry : present) {
    const auto& w = entry->second;
    double others = 0;
    for (std::size_t c = 0; c < k; ++c)
      if (c != best) others += w[c];
    const double lift = w[best] - others / static_cast<double>(k - 1);
    if (lift > 0) p.evidence.emplace_back(entry->first, lift);
  }
  std::sort(p.evidence.begin(), p.evidence.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (p.evidence.size() > kEvidence) p.evidence.resize(kEvidence);
  return p;
}

}  // namespace dbg::coord::analysis
