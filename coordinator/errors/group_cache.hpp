#pragma once
// GroupCache: signature -> counts of the groups seen lately (at most `capacity`, least recently
// used out first), and the bookkeeping of the lazily written group rows (error_service.hpp,
// "Group rows are written lazily"): which cached counts run ahead of their rows (dirty), the fold
// watermark, and the next event id.
//
// Store thread only, inside Store::write jobs (and their completions): it needs no lock. stats()
// may be called from any thread.
//
// Failure rule: a write job that throws is rolled back, so whatever the cache learned or wrote in
// it is suspect; drop() forgets the cache and what it knew, and the next write rebuilds from what
// SQLite holds (settle). Every job that brings the rows up to date before it reads or changes
// them does it through flush_or_drop().
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "coordinator/errors/error_rows.hpp"
#include "coordinator/errors/lru_map.hpp"

namespace dbg::coord::errors {

// Dirty group rows are written at least this often during ingest (so a restart after a kill -9
// folds at most about this much of ingest back into the rows).
inline constexpr std::chrono::milliseconds kGroupFlushInterval{1000};

// A cached group: its counts, and whether its row in SQLite lags behind them.
struct CachedGroup {
  GroupCounts counts;
  bool dirty = false;
};

struct GroupCacheStats {
  uint64_t hits = 0;    // lookups answered by the cache
  uint64_t misses = 0;  // lookups that read SQLite (or found no group)
  std::size_t size = 0;
};

class GroupCache {
 public:
  explicit GroupCache(std::size_t capacity) : groups_(capacity) {}

  // After a start or a failure (no-op otherwise): folds the events the rows lack into them, so
  // that rows, and the cache read from them, are exact again; learns the next event id.
  void settle(store::StatementCache& sql);
  // Settles, then writes every dirty row and moves the watermark up to the last event id.
  void flush(store::StatementCache& sql);
  // flush(), and on any failure drop() before the exception goes on (the write rolls back).
  void flush_or_drop(store::StatementCache& sql) {
    or_drop([&] { flush(sql); });
  }
  // Runs the job (part of a write); if it throws, drop() and rethrow.
  template <typename Job>
  void or_drop(Job&& job) {
    try {
      job();
    } catch (...) {
      drop();
      throw;
    }
  }
  // flush() when the last one is kGroupFlushInterval old.
  void flush_if_due(store::StatementCache& sql);
  // Forgets every cached group and what the cache knew; the next settle() rebuilds from SQLite.
  void drop();

  // Settles, then fills the cache with the `limit` groups seen most recently (at start; a
  // failure leaves the dropping to the caller's or_drop).
  void warm(store::StatementCache& sql, int limit);
  // The group's counts: cached (a hit), else its row (a miss), else nullopt (a miss: no group).
  std::optional<GroupCounts> lookup(store::StatementCache& sql, std::string_view signature);
  // The cached entry, or nullptr (no read of SQLite).
  CachedGroup* find(std::string_view signature) { return groups_.find(signature); }
  // Caches the group; a dirty group about to be evicted for it is written first.
  void put(store::StatementCache& sql, std::string_view signature, CachedGroup group);
  // Flushes (or drops), then applies the new bound: no dirty group is evicted unwritten.
  void set_capacity(store::StatementCache& sql, std::size_t capacity);

  // The next event's id (valid once settled), and taking it.
  int64_t next_event_id() const { return next_event_id_; }
  int64_t take_event_id() { return next_event_id_++; }

  GroupCacheStats stats() const;

 private:
  void update_size() { size_.store(groups_.size(), std::memory_order_relaxed); }
  void advance_watermark(store::StatementCache& sql);

  LruMap<CachedGroup> groups_;
  bool unsettled_ = true;      // start, or a failed write: fold before trusting rows or cache
  int64_t fold_watermark_ = 0;  // every row counts every event with an id up to this
  int64_t next_event_id_ = 1;   // valid while settled
  std::chrono::steady_clock::time_point last_flush_ = std::chrono::steady_clock::now();
  std::atomic<uint64_t> hits_{0}, misses_{0};
  std::atomic<std::size_t> size_{0};
};

}  // namespace dbg::coord::errors
