#pragma once
// The analysis's instruments in the global registry (/metrics), and the numbers /api/v1/stats
// shows. Registered on first use; one set per process, like snapshot_metrics().
#include "coordinator/metrics/registry.hpp"

namespace dbg::coord::analysis {

// Each instrument is registered, in the order of the members, by its member's initializer.
struct AnalysisMetrics {
  // 1 µs .. ~16 ms: analyses are microseconds; a large similarity index takes longer.
  static std::vector<double> seconds_bounds() { return metrics::Histogram::exponential(1e-6, 2, 15); }

  metrics::Counter& cache_hits =
      metrics::counter("dbgcoord_analysis_cache_hits_total", "Error analyses answered from the pattern cache.");
  metrics::Counter& cache_misses = metrics::counter("dbgcoord_analysis_cache_misses_total",
                                                    "Error analyses computed (not in the pattern cache, or stale).");
  metrics::Counter& cache_evictions = metrics::counter(
      "dbgcoord_analysis_cache_evictions_total", "Analyses evicted from the pattern cache (least recently used).");
  metrics::Counter& cache_invalidations =
      metrics::counter("dbgcoord_analysis_cache_invalidations_total",
                       "Cached analyses dropped because their group's latest event has other features.");
  metrics::Counter& skipped = metrics::counter("dbgcoord_analysis_skipped_total",
                                               "Background analyses skipped because too many groups were waiting.");
  metrics::Gauge& cache_entries = metrics::gauge("dbgcoord_analysis_cache_entries", "Analyses in the pattern cache.");
  metrics::Gauge& cache_hit_ratio =  // hits / lookups since start
      metrics::gauge("dbgcoord_analysis_cache_hit_ratio", "Pattern cache hits / lookups since start (its efficiency).");
  metrics::Gauge& cache_capacity =
      metrics::gauge("dbgcoord_analysis_cache_capacity", "Capacity of the pattern cache (--analysis-cache).");
  metrics::Gauge& index_groups =
      metrics::gauge("dbgcoord_analysis_similarity_index_groups", "Groups in the similar-groups index.");
  metrics::Gauge& model_loaded = metrics::gauge("dbgcoord_analysis_model_loaded",
                                                "1 when the classifier model loaded, 0 when every answer is unknown.");
  metrics::Histogram& analysis_seconds =  // one analysis, cache lookup included
      metrics::histogram("dbgcoord_analysis_seconds",
                         "Time of one error analysis (cache lookup, classification, similar groups).",
                         seconds_bounds());
  metrics::Histogram& classify_seconds =  // features + model (misses only)
      metrics::histogram("dbgcoord_analysis_classify_seconds", "Time to extract features and classify one event.",
                         seconds_bounds());
  metrics::Histogram& similar_seconds =  // a similar-groups query
      metrics::histogram("dbgcoord_analysis_similar_seconds", "Time of one similar-groups query.", seconds_bounds());
};

AnalysisMetrics& analysis_metrics();

}  // namespace dbg::coord::analysis
