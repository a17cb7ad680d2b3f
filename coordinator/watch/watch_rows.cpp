#include "coordinator/watch/watch_rows.hpp"

#include "coordinator/store/statement.hpp"

namespace dbg::coord::watch {

void upsert_watch(store::StatementCache& sql, const WatchRow& row, int64_t now_ms) {
  auto upsert = sql.get(
      "INSERT INTO watches (id, kind, status, created_at, updated_at, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
      "ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at, "
      "body = excluded.body");
  upsert->bind(1, std::string_view(row.id));
  upsert->bind(2, std::string_view(row.kind));
  upsert->bind(3, std::string_view(row.status));
  upsert->bind(4, row.created_at_ms);
  upsert->bind(5, now_ms);
  upsert->bind(6, std::string_view(row.body.dump()));
  upsert->run();
}

void delete_watch(store::StatementCache& sql, const std::string& id) {
  auto del = sql.get("DELETE FROM watches WHERE id = ?1");
  del->bind(1, std::string_view(id));
  del->run();
}

std::vector<WatchRow> select_watches(store::StatementCache& sql) {
  std::vector<WatchRow> rows;
  auto select = sql.get("SELECT id, kind, status, created_at, body FROM watches ORDER BY created_at, rowid");
  while (select->step()) {
    auto body = nlohmann::json::parse(select->column_text(4), nullptr, false);
    if (body.is_discarded()) body = nlohmann::json::object();
    rows.push_back(WatchRow{select->column_text(0), select->column_text(1), select->column_text(2),
                            select->column_int64(3), std::move(body)});
  }
  return rows;
}

}  // namespace dbg::coord::watch
