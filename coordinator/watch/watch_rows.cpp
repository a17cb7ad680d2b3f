#include "coordinator/watch/watch_rows.hpp"

#include "coordinator/store/body_row.hpp"

namespace dbg::coord::watch {

void upsert_watch(store::StatementCache& sql, const WatchRow& row, int64_t now_ms) {
  auto upsert = sql.get(
      "INSERT INTO watches (id, kind, status, created_at, updated_at, body, mode) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
      "ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at, "
      "body = excluded.body");
  store::bind_body_row(*upsert, row, now_ms);
  upsert->bind(7, std::string_view(row.mode));
  upsert->run();
}

void delete_watch(store::StatementCache& sql, const std::string& id) {
  auto del = sql.get("DELETE FROM watches WHERE id = ?1");
  del->bind(1, std::string_view(id));
  del->run();
}

std::vector<WatchRow> select_watches(store::StatementCache& sql) {
  std::vector<WatchRow> rows;
  auto select = sql.get("SELECT id, kind, status, created_at, body, mode FROM watches ORDER BY created_at, rowid");
  while (select->step()) {
    rows.push_back(store::read_body_row<WatchRow>(*select));
    rows.back().mode = select->column_text(5);
  }
  return rows;
}

}  // namespace dbg::coord::watch
