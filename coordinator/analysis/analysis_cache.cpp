#include "coordinator/analysis/analysis_cache.hpp"

namespace dbg::coord::analysis {

std::optional<Analysis> AnalysisCache::find(const std::string& signature, std::uint64_t feature_hash) {
  std::lock_guard lock(mutex_);
  Analysis* cached = entries_.find(signature);
  if (cached && cached->feature_hash == feature_hash) {
    ++hits_;
    return *cached;
  }
  if (cached) {
    // The group's latest event has other features than the one analysed: stale.
    entries_.erase(signature);
    ++invalidations_;
  }
  ++misses_;
  return std::nullopt;
}

void AnalysisCache::put(const std::string& signature, Analysis analysis) {
  std::lock_guard lock(mutex_);
  entries_.put(signature, std::move(analysis));
}

void AnalysisCache::update_similar(const std::string& signature, const Analysis& refreshed) {
  std::lock_guard lock(mutex_);
  // Not find(): a refresh is not a use, and must not count.
  if (Analysis* cached = entries_.find(signature); cached && cached->feature_hash == refreshed.feature_hash) {
    cached->similar = refreshed.similar;
    cached->index_generation = refreshed.index_generation;
  }
}

CacheStats AnalysisCache::stats() const {
  std::lock_guard lock(mutex_);
  CacheStats s;
  s.hits = hits_;
  s.misses = misses_;
  s.invalidations = invalidations_;
  s.evictions = entries_.evictions();
  s.entries = entries_.size();
  s.capacity = entries_.capacity();
  return s;
}

}  // namespace dbg::coord::analysis
