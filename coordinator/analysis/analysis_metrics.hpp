#pragma once
// The analysis's instruments in the global registry (/metrics), and the numbers /api/v1/stats
// shows. Registered on first use; one set per process, like snapshot_metrics().
#include "coordinator/metrics/registry.hpp"

namespace dbg::coord::analysis {

struct AnalysisMetrics {
  metrics::Counter& cache_hits;
  metrics::Counter& cache_misses;
  metrics::Counter& cache_evictions;
  metrics::Counter& cache_invalidations;
  metrics::Counter& skipped;
  metrics::Gauge& cache_entries;
  metrics::Gauge& cache_hit_ratio;  // hits / lookups since start
  metrics::Gauge& cache_capacity;
  metrics::Gauge& index_groups;
  metrics::Gauge& model_loaded;
  metrics::Histogram& analysis_seconds;  // one analysis, cache lookup included
  metrics::Histogram& classify_seconds;  // features + model (misses only)
  metrics::Histogram& similar_seconds;   // a similar-groups query
};

AnalysisMetrics& analysis_metrics();

}  // namespace dbg::coord::analysis
