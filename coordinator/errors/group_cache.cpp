#include "coordinator/errors/group_cache.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace dbg::coord::errors {

void GroupCache::settle(store::StatementCache& sql) {
  if (!unsettled_) return;
  groups_.clear();
  update_size();
  fold_watermark_ = select_fold_watermark(sql);
  const std::size_t folded = fold_unfolded_events(sql, fold_watermark_);
  // Ids only grow: never at or below the watermark, even if the archiver emptied the table's
  // top (SQLite alone would hand out max(id) + 1 again).
  next_event_id_ = std::max(select_max_event_id(sql), fold_watermark_) + 1;
  advance_watermark(sql);
  if (folded > 0) spdlog::info("errors: brought {} group rows up to date from their events", folded);
  unsettled_ = false;
  last_flush_ = std::chrono::steady_clock::now();
}

void GroupCache::flush(store::StatementCache& sql) {
  settle(sql);
  groups_.for_each([&](const std::string&, CachedGroup& g) {
    if (!g.dirty) return;
    update_group_counts(sql, g.counts);
    g.dirty = false;
  });
  advance_watermark(sql);
  last_flush_ = std::chrono::steady_clock::now();
}

void GroupCache::flush_if_due(store::StatementCache& sql) {
  if (std::chrono::steady_clock::now() - last_flush_ >= kGroupFlushInterval) flush(sql);
}

void GroupCache::drop() {
  groups_.clear();
  update_size();
  unsettled_ = true;
}

void GroupCache::warm(store::StatementCache& sql, int limit) {
  settle(sql);
  auto groups = select_recent_group_counts(sql, limit);
  // Oldest first, so the most recently seen group ends up most recently used.
  for (auto it = groups.rbegin(); it != groups.rend(); ++it) groups_.put(it->first, CachedGroup{it->second});
  update_size();
}

std::optional<GroupCounts> GroupCache::lookup(store::StatementCache& sql, std::string_view signature) {
  if (const CachedGroup* cached = groups_.find(signature)) {
    hits_.fetch_add(1, std::memory_order_relaxed);
    return cached->counts;
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  return select_group_counts(sql, signature);
}

void GroupCache::put(store::StatementCache& sql, std::string_view signature, CachedGroup group) {
  // A dirty group about to be evicted is written first: only the cache knew its counts.
  if (!groups_.contains(signature) && groups_.size() >= groups_.capacity()) {
    if (CachedGroup* oldest = groups_.least_recent_value(); oldest && oldest->dirty) {
      update_group_counts(sql, oldest->counts);
      oldest->dirty = false;
    }
  }
  groups_.put(signature, std::move(group));
  update_size();
}

void GroupCache::set_capacity(store::StatementCache& sql, std::size_t capacity) {
  flush_or_drop(sql);
  groups_.set_capacity(capacity);
  update_size();
}

GroupCacheStats GroupCache::stats() const {
  return {hits_.load(std::memory_order_relaxed), misses_.load(std::memory_order_relaxed),
          size_.load(std::memory_order_relaxed)};
}

void GroupCache::advance_watermark(store::StatementCache& sql) {
  if (fold_watermark_ == next_event_id_ - 1) return;
  fold_watermark_ = next_event_id_ - 1;
  store_fold_watermark(sql, fold_watermark_);
}

}  // namespace dbg::coord::errors
