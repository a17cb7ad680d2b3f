#pragma once
// A session as a row of the sessions table (migrations/0002_snapshots.sql), and back. No
// transactions here: the caller (the store's writer) owns them.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "coordinator/store/records.hpp"

namespace dbg::coord::store {

class StatementCache;

// Insert or replace kind, status and body; created_at is kept from the first insert, updated_at
// becomes now_ms.
void upsert_session(StatementCache& sql, const SessionRow& row, int64_t now_ms);
void upsert_session(StatementCache& sql, const SessionTextRow& row, int64_t now_ms);

std::optional<SessionRow> select_session(StatementCache& sql, std::string_view id);

// Newest first (created_at, then insertion order); at most `limit` rows (none for limit <= 0).
std::vector<SessionRow> select_sessions(StatementCache& sql, int limit);

}  // namespace dbg::coord::store
