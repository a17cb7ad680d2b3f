#include "coordinator/analysis/analysis_metrics.hpp"

namespace dbg::coord::analysis {

AnalysisMetrics& analysis_metrics() {
  auto& r = metrics::global();
  // 1 µs .. ~16 ms: analyses are microseconds; a large similarity index takes longer.
  auto bounds = metrics::Histogram::exponential(1e-6, 2, 15);
  static AnalysisMetrics m{
      r.counter("dbgcoord_analysis_cache_hits_total", "Error analyses answered from the pattern cache."),
      r.counter("dbgcoord_analysis_cache_misses_total", "Error analyses computed (not in the pattern cache, or stale)."),
      r.counter("dbgcoord_analysis_cache_evictions_total", "Analyses evicted from the pattern cache (least recently used)."),
      r.counter("dbgcoord_analysis_cache_invalidations_total",
                "Cached analyses dropped because their group's latest event has other features."),
      r.counter("dbgcoord_analysis_skipped_total", "Background analyses skipped because too many groups were waiting."),
      r.gauge("dbgcoord_analysis_cache_entries", "Analyses in the pattern cache."),
      r.gauge("dbgcoord_analysis_cache_hit_ratio", "Pattern cache hits / lookups since start (its efficiency)."),
      r.gauge("dbgcoord_analysis_cache_capacity", "Capacity of the pattern cache (--analysis-cache)."),
      r.gauge("dbgcoord_analysis_similarity_index_groups", "Groups in the similar-groups index."),
      r.gauge("dbgcoord_analysis_model_loaded", "1 when the classifier model loaded, 0 when every answer is unknown."),
      r.histogram("dbgcoord_analysis_seconds", "Time of one error analysis (cache lookup, classification, similar groups).", bounds),
      r.histogram("dbgcoord_analysis_classify_seconds", "Time to extract features and classify one event.", bounds),
      r.histogram("dbgcoord_analysis_similar_seconds", "Time of one similar-groups query.", bounds),
  };
  return m;
}

}  // namespace dbg::coord::analysis
