#include "coordinator/store/session_rows.hpp"

#include "coordinator/store/body_row.hpp"

namespace dbg::coord::store {

namespace {

constexpr std::string_view kColumns = "id, kind, status, created_at, body";

constexpr const char* kUpsert =
    "INSERT INTO sessions (id, kind, status, created_at, updated_at, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
    "ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, status = excluded.status, "
    "updated_at = excluded.updated_at, body = excluded.body";

}  // namespace

void upsert_session(StatementCache& sql, const SessionRow& row, int64_t now_ms) {
  auto upsert = sql.get(kUpsert);
  bind_body_row(*upsert, row, now_ms);
  upsert->run();
}

void upsert_session(StatementCache& sql, const SessionTextRow& row, int64_t now_ms) {
  auto upsert = sql.get(kUpsert);
  bind_body_row(*upsert, row, now_ms);
  upsert->run();
}

std::optional<SessionRow> select_session(StatementCache& sql, std::string_view id) {
  auto select = sql.get("SELECT " + std::string(kColumns) + " FROM sessions WHERE id = ?1");
  select->bind(1, id);
  if (!select->step()) return std::nullopt;
  return read_body_row<SessionRow>(*select);
}

std::vector<SessionRow> select_sessions(StatementCache& sql, int limit) {
  std::vector<SessionRow> rows;
  if (limit <= 0) return rows;
  auto select = sql.get("SELECT " + std::string(kColumns) + " FROM sessions ORDER BY created_at DESC, rowid DESC LIMIT ?1");
  select->bind(1, static_cast<int64_t>(limit));
  while (select->step()) rows.push_back(read_body_row<SessionRow>(*select));
  return rows;
}

}  // namespace dbg::coord::store
