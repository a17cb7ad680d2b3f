#pragma once
// The error pattern cache: analyses by group signature, least recently used evicted beyond the
// capacity (--analysis-cache, default 1,000). A cached analysis is only good for the context it
// was computed from: a lookup names the feature hash of the group's latest event, and an entry
// with another hash is dropped (counted as an invalidation and a miss), so a group whose new
// events look different (another signal, another message) is classified again.
//
// Thread-safe (one mutex; entries are small and every operation is O(1)).
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "coordinator/analysis/analysis.hpp"
#include "coordinator/errors/lru_map.hpp"

namespace dbg::coord::analysis {

struct CacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t evictions = 0;
  std::uint64_t invalidations = 0;
  std::size_t entries = 0;
  std::size_t capacity = 0;
  // hits / (hits + misses); nullopt before the first lookup.
  std::optional<double> hit_rate() const {
    const auto total = hits + misses;
    return total ? std::optional<double>(static_cast<double>(hits) / static_cast<double>(total)) : std::nullopt;
  }
};

class AnalysisCache {
 public:
  explicit AnalysisCache(std::size_t capacity) : entries_(capacity) {}

  // The analysis cached for this signature if it was computed from the same features; marks it
  // most recently used. Counts a hit or a miss.
  std::optional<Analysis> find(const std::string& signature, std::uint64_t feature_hash);
  // Stores (or replaces) an analysis; evicts the least recently used beyond capacity.
  void put(const std::string& signature, Analysis analysis);
  // Replaces the similar groups of a cached entry (refreshed after the index changed).
  void update_similar(const std::string& signature, const Analysis& refreshed);

  CacheStats stats() const;

 private:
  mutable std::mutex mutex_;
  errors::LruMap<Analysis> entries_;
  std::uint64_t hits_ = 0, misses_ = 0, invalidations_ = 0;
};

}  // namespace dbg::coord::analysis
