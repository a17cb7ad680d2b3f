#include "coordinator/analysis/analysis_metrics.hpp"

namespace dbg::coord::analysis {

AnalysisMetrics& analysis_metrics() {
  static AnalysisMetrics m;
  return m;
}

}  // namespace dbg::coord::analysis
