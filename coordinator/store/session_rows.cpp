#include "coordinator/store/session_rows.hpp"

#include "coordinator/store/statement.hpp"

namespace dbg::coord::store {

namespace {

constexpr std::string_view kColumns = "id, kind, status, created_at, body";

SessionRow read_row(const Statement& s) {
  // The body was checked with json_valid on the way in; a parse failure here would mean the file
  // was edited by hand, and an empty object is a safer answer than a thrown request.
  auto body = nlohmann::json::parse(s.column_text(4), nullptr, false);
  if (body.is_discarded()) body = nlohmann::json::object();
  return SessionRow{s.column_text(0), s.column_text(1), s.column_text(2), s.column_int64(3), std::move(body)};
}

}  // namespace

void upsert_session(StatementCache& sql, const SessionRow& row, int64_t now_ms) {
  auto upsert = sql.get(
      "INSERT INTO sessions (id, kind, status, created_at, updated_at, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
      "ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, status = excluded.status, "
      "updated_at = excluded.updated_at, body = excluded.body");
  upsert->bind(1, std::string_view(row.id));
  upsert->bind(2, std::string_view(row.kind));
  upsert->bind(3, std::string_view(row.status));
  upsert->bind(4, row.created_at_ms);
  upsert->bind(5, now_ms);
  upsert->bind(6, std::string_view(row.body.dump()));
  upsert->run();
}

std::optional<SessionRow> select_session(StatementCache& sql, std::string_view id) {
  auto select = sql.get("SELECT " + std::string(kColumns) + " FROM sessions WHERE id = ?1");
  select->bind(1, id);
  if (!select->step()) return std::nullopt;
  return read_row(*select);
}

std::vector<SessionRow> select_sessions(StatementCache& sql, int limit) {
  std::vector<SessionRow> rows;
  if (limit <= 0) return rows;
  auto select = sql.get("SELECT " + std::string(kColumns) + " FROM sessions ORDER BY created_at DESC, rowid DESC LIMIT ?1");
  select->bind(1, static_cast<int64_t>(limit));
  while (select->step()) rows.push_back(read_row(*select));
  return rows;
}

}  // namespace dbg::coord::store
