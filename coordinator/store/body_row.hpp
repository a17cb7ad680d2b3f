#pragma once
// The tables whose rows are (id, kind, status, created_at, updated_at, body) — sessions
// (migrations/0002) and watches (migrations/0004) — bind and read those columns here, once.
// Row is any struct with id, kind, status, created_at_ms and a JSON body (SessionRow, WatchRow).
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "coordinator/store/statement.hpp"

namespace dbg::coord::store {

// For an "INSERT … VALUES (?1 id, ?2 kind, ?3 status, ?4 created_at, ?5 updated_at, ?6 body)".
template <typename Row>
void bind_body_row(Statement& s, const Row& row, int64_t updated_at_ms) {
  s.bind(1, std::string_view(row.id));
  s.bind(2, std::string_view(row.kind));
  s.bind(3, std::string_view(row.status));
  s.bind(4, row.created_at_ms);
  s.bind(5, updated_at_ms);
  s.bind(6, std::string_view(row.body.dump()));
}

// For a "SELECT id, kind, status, created_at, body …" row.
template <typename Row>
Row read_body_row(const Statement& s) {
  // The body was checked with json_valid on the way in; a parse failure here would mean the file
  // was edited by hand, and an empty object is a safer answer than a thrown request.
  auto body = nlohmann::json::parse(s.column_text(4), nullptr, false);
  if (body.is_discarded()) body = nlohmann::json::object();
  return Row{s.column_text(0), s.column_text(1), s.column_text(2), s.column_int64(3), std::move(body)};
}

}  // namespace dbg::coord::store
