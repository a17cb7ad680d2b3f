#pragma once
// A Snapshot as rows of snapshots / snapshot_threads / stacks (migrations/0002_snapshots.sql),
// and back. No transactions here: the caller (the store's writer) owns them.
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "coordinator/store/records.hpp"

namespace dbg::coord::store {

class StatementCache;

// Stack rows already in the database, by stack_hash: the same few stacks recur in nearly every
// snapshot, and a hit here costs neither the SELECT nor building the stack's JSON text to compare.
// Bounded (forgotten wholesale when full); the store forgets it too whenever a write or a batch
// rolls back, since an id it holds might then not exist (and so must anything that ever deletes
// stack rows). Store thread only.
class KnownStacks {
 public:
  static constexpr std::size_t kMaxEntries = 4096;
  std::optional<int64_t> find(uint64_t hash, const std::vector<dbg::Frame>& frames) const;
  void remember(uint64_t hash, const std::vector<dbg::Frame>& frames, int64_t id);
  void clear() { entries_.clear(); }
  std::size_t size() const { return entries_.size(); }
  // The bound (kMaxEntries by default); the budget's load shedding lowers it. Lowering below the
  // current size forgets everything, as a full map does.
  void set_capacity(std::size_t capacity) {
    capacity_ = capacity == 0 ? 1 : capacity;
    if (entries_.size() > capacity_) entries_.clear();
  }
  std::size_t capacity() const { return capacity_; }

 private:
  std::size_t capacity_ = kMaxEntries;
  struct Entry {
    std::vector<dbg::Frame> frames;
    int64_t id;
  };
  std::unordered_map<uint64_t, Entry> entries_;
};

// Inserts the snapshot and its threads, reusing stack rows already present; returns its id.
// `known` (optional) short-cuts the lookup of stacks stored before.
int64_t insert_snapshot(StatementCache& sql, std::string_view session_id, int64_t taken_at_ms, const dbg::Snapshot& s,
                        KnownStacks* known = nullptr);

// nullopt when no snapshot has that id.
std::optional<StoredSnapshot> select_snapshot(StatementCache& sql, int64_t id);

// pid -> snapshot id of every snapshot stored for a session (the newest, if a pid has several).
std::map<int, int64_t> select_session_snapshot_ids(StatementCache& sql, std::string_view session_id);

}  // namespace dbg::coord::store
