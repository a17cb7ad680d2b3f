#pragma once
// Similar groups: MinHash over frame-name shingles. A group's shingles are its normalized
// signature frames (errors/signature.hpp: "module!function", innermost first) taken one by one
// and in consecutive pairs, so two groups share shingles when they share functions and more when
// they share call paths; a group without frames is one shingle of its error class. Each group
// keeps kMinHashes minimum hashes; the fraction of equal slots estimates the Jaccard
// similarity of the two shingle sets (the score, 0..1).
//
// Bounded: the index keeps the `capacity` most recently seen groups (default 10,000; about
// 1 KB each with type and message), least recently seen evicted; groups can be a million, and
// the similar list then covers the recent ones (SQLite still holds every group). The query is a
// scan of the index (64 comparisons per group; measured ~40 µs per 1,000 groups on the loaded
// 2-CPU bench machine, so a few hundred µs at the 10,000 bound; BENCHMARKS.md).
//
// Thread-safe (one mutex). generation() moves whenever the set of groups changes, so cached
// similar lists know when to be refreshed.
#include <array>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "coordinator/analysis/analysis.hpp"

namespace dbg::coord::analysis {

inline constexpr std::size_t kMinHashes = 64;
inline constexpr std::size_t kSimilarGroups = 5;
inline constexpr std::size_t kDefaultIndexGroups = 10000;

using MinHash = std::array<std::uint32_t, kMinHashes>;

// The MinHash of these frame keys (error_class stands in when there are none).
MinHash min_hash(const std::vector<std::string>& signature_frames, const std::string& error_class);
double estimated_jaccard(const MinHash& a, const MinHash& b);

class SimilarityIndex {
 public:
  explicit SimilarityIndex(std::size_t capacity = kDefaultIndexGroups) : capacity_(capacity ? capacity : 1) {}

  // Adds or refreshes a group (most recently seen).
  void add(int64_t id, const MinHash& hash, std::string type, std::string message);
  bool contains(int64_t id) const;
  // The `limit` groups most similar to `hash`, best first, without `self` and groups scoring 0.
  std::vector<SimilarGroup> similar(int64_t self, const MinHash& hash, std::size_t limit = kSimilarGroups) const;

  std::size_t size() const;
  std::size_t capacity() const { return capacity_; }
  std::uint64_t generation() const;

 private:
  struct Entry {
    int64_t id;
    MinHash hash;
    std::string type;
    std::string message;
  };
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::list<Entry> order_;  // most recently seen first
  std::unordered_map<int64_t, std::list<Entry>::iterator> by_id_;
  std::uint64_t generation_ = 0;
};

}  // namespace dbg::coord::analysis
