#pragma once
// A Snapshot as rows of snapshots / snapshot_threads / stacks (migrations/0002_snapshots.sql),
// and back. No transactions here: the caller (the store's writer) owns them.
#include <cstdint>
#include <optional>
#include <string_view>

#include "coordinator/store/records.hpp"

namespace dbg::coord::store {

class StatementCache;

// Inserts the snapshot and its threads, reusing stack rows already present; returns its id.
int64_t insert_snapshot(StatementCache& sql, std::string_view session_id, int64_t taken_at_ms, const dbg::Snapshot& s);

// nullopt when no snapshot has that id.
std::optional<StoredSnapshot> select_snapshot(StatementCache& sql, int64_t id);

}  // namespace dbg::coord::store
