#pragma once
// The crash classifier's model: multinomial logistic regression over binary features
// (features.hpp), trained by scripts/train_classifier.py and stored as JSON
// (models/crash_classifier.v1.json):
//   {"format": "dbgcoord-crash-classifier", "version": 1,
//    "features": {"name": "crash-features", "version": 1, ...},
//    "classes": [...], "threshold": 0.45, "bias": [one per class],
//    "weights": {"feature": [one per class], ...}, "training": {...}}
// A score per class is the bias plus the weights of the features present; softmax gives the
// confidence; below `threshold` the answer is "unknown". Features the model never saw weigh
// nothing. Immutable once loaded, so any thread may use it.
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dbg/error.hpp"

namespace dbg::coord::analysis {

inline constexpr std::string_view kUnknownClass = "unknown";

struct Prediction {
  std::string cls;          // a class name, or "unknown"
  double confidence = 0;    // the top class's probability (0 when no model is loaded)
  // The features that pushed the predicted class up most, strongest first (for explanations).
  std::vector<std::pair<std::string, double>> evidence;
};

class Model {
 public:
  // Parses and checks a model document (format, feature-set name and version, shapes).
  static Result<Model> parse(std::string_view json_text);

  Prediction predict(const std::vector<std::string>& features) const;

  int version() const { return version_; }
  const std::vector<std::string>& classes() const { return classes_; }
  double threshold() const { return threshold_; }
  std::size_t vocabulary_size() const { return weights_.size(); }

 private:
  int version_ = 0;
  double threshold_ = 0.5;
  std::vector<std::string> classes_;
  std::vector<double> bias_;
  std::unordered_map<std::string, std::vector<double>> weights_;
};

// The model committed in models/, embedded into the binary at build time
// (coordinator/analysis/embed_model.cmake), so dbgcoord needs no file to classify.
std::string_view embedded_model();

}  // namespace dbg::coord::analysis
