#include "coordinator/analysis/similarity_index.hpp"

#include <algorithm>
#include <limits>

#include "dbg/utf8.hpp"

namespace dbg::coord::analysis {

namespace {

// Messages shown in similar lists are cut: the list is a pointer to the group, not its copy.
constexpr std::size_t kMessageBytes = 160;

uint64_t fnv1a64(std::string_view s, uint64_t h = 0xcbf29ce484222325ULL) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// splitmix64's finalizer: one 64-bit shingle hash becomes kMinHashes independent-looking ones.
uint32_t mix(uint64_t x, uint64_t seed) {
  x += 0x9e3779b97f4a7c15ULL * (seed + 1);
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return static_cast<uint32_t>((x ^ (x >> 31)) >> 16);
}

}  // namespace

MinHash min_hash(const std::vector<std::string>& frames, const std::string& error_class) {
  std::vector<uint64_t> shingles;
  shingles.reserve(frames.size() * 2 + 1);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    shingles.push_back(fnv1a64(frames[i]));
    if (i + 1 < frames.size()) shingles.push_back(fnv1a64(frames[i + 1], fnv1a64(frames[i] + "\n")));
  }
  if (shingles.empty()) shingles.push_back(fnv1a64("class:" + error_class));
  MinHash h;
  h.fill(std::numeric_limits<uint32_t>::max());
  for (uint64_t s : shingles)
    for (std::size_t k = 0; k < kMinHashes; ++k) h[k] = std::min(h[k], mix(s, k));
  return h;
}

double estimated_jaccard(const MinHash& a, const MinHash& b) {
  std::size_t equal = 0;
  for (std::size_t k = 0; k < kMinHashes; ++k) equal += a[k] == b[k];
  return static_cast<double>(equal) / static_cast<double>(kMinHashes);
}

void SimilarityIndex::add(int64_t id, const MinHash& hash, std::string type, std::string message) {
  std::lock_guard lock(mutex_);
  if (auto it = by_id_.find(id); it != by_id_.end()) {
    order_.splice(order_.begin(), order_, it->second);
    if (it->second->hash != hash) ++generation_;
    it->second->hash = hash;
    return;
  }
  utf8_cut_bytes(message, kMessageBytes);
  order_.push_front(Entry{id, hash, std::move(type), std::move(message)});
  by_id_[id] = order_.begin();
  if (order_.size() > capacity_) {
    by_id_.erase(order_.back().id);
    order_.pop_back();
  }
  ++generation_;
}

bool SimilarityIndex::contains(int64_t id) const {
  std::lock_guard lock(mutex_);
  return by_id_.count(id) > 0;
}

std::vector<SimilarGroup> SimilarityIndex::similar(int64_t self, const MinHash& hash, std::size_t limit) const {
  // Scores first (cheap), strings copied only for the winners.
  std::vector<std::pair<double, const Entry*>> scored;
  std::lock_guard lock(mutex_);
  scored.reserve(std::min<std::size_t>(order_.size(), 4096));
  for (const auto& e : order_) {
    if (e.id == self) continue;
    const double s = estimated_jaccard(hash, e.hash);
    if (s > 0) scored.emplace_back(s, &e);
  }
  const std::size_t n = std::min(limit, scored.size());
  // Ties: the newer group (higher id) first, so the order does not depend on the scan.
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(n), scored.end(),
                    [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second->id > b.second->id; });
  std::vector<SimilarGroup> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back({scored[i].second->id, scored[i].first, scored[i].second->type, scored[i].second->message});
  return out;
}

std::size_t SimilarityIndex::size() const {
  std::lock_guard lock(mutex_);
  return order_.size();
}

std::uint64_t SimilarityIndex::generation() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

}  // namespace dbg::coord::analysis
