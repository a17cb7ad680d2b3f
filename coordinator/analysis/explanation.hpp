#pragma once
// The sentence an analysis gives: what the class means, then the features that decided it.
#include <string>
#include <string_view>

#include "coordinator/analysis/model.hpp"

namespace dbg::coord::analysis {

// One line per class (docs/analysis.md has the full definitions).
std::string_view class_description(std::string_view cls);
std::string explain(const Prediction& p, double threshold);

}  // namespace dbg::coord::analysis
