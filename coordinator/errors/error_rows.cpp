#include "coordinator/errors/error_rows.hpp"

#include <algorithm>
#include <stdexcept>

#include "coordinator/store/statement.hpp"
#include "coordinator/store/store_error.hpp"

namespace dbg::coord::errors {

namespace {

// Selected FROM error_groups g JOIN error_stacks s ON s.id = g.stack_id.
constexpr const char* kGroupColumns =
    "g.id, g.signature, g.error_class, g.type, g.message, g.class, g.confidence, g.count, g.first_seen, g.last_seen, "
    "g.status, g.status_changed_at, g.regressions, s.frames, g.signature_frames";
constexpr const char* kGroupFrom = " FROM error_groups g JOIN error_stacks s ON s.id = g.stack_id";

// A stored JSON column; a damaged one becomes null rather than failing the whole answer.
nlohmann::json parse_json_column(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json(nullptr) : j;
}

// Reads a row selected with kGroupColumns.
nlohmann::json group_json(store::Statement& row) {
  return nlohmann::json{
      {"id", row.column_int64(0)},
      {"signature", row.column_text(1)},
      {"error_class", row.column_text(2)},
      {"type", row.column_text(3)},
      {"message", row.column_text(4)},
      {"class", row.is_null(5) ? nlohmann::json(nullptr) : nlohmann::json(row.column_text(5))},
      {"confidence", row.is_null(6) ? nlohmann::json(nullptr) : nlohmann::json(row.column_double(6))},
      {"count", row.column_int64(7)},
      {"first_seen", row.column_int64(8)},
      {"last_seen", row.column_int64(9)},
      {"status", row.column_text(10)},
      {"status_changed_at", row.column_int64(11)},
      {"regressions", row.column_int64(12)},
      {"frames", parse_json_column(row.column_text(13))},
      {"signature_frames", parse_json_column(row.column_text(14))},
  };
}

// 64-bit FNV-1a: the stable key of a stored frames text (std::hash is not stable across builds).
int64_t fnv1a64(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return static_cast<int64_t>(hash);
}

GroupCounts counts_from(store::Statement& row, int first_column) {
  GroupCounts c;
  c.id = row.column_int64(first_column);
  c.count = row.column_int64(first_column + 1);
  c.first_seen = row.column_int64(first_column + 2);
  c.last_seen = row.column_int64(first_column + 3);
  c.status = parse_status(row.column_text(first_column + 4)).value_or(GroupStatus::open);
  c.status_changed_at = row.column_int64(first_column + 5);
  c.regressions = row.column_int64(first_column + 6);
  c.last_event_id = row.is_null(first_column + 7) ? 0 : row.column_int64(first_column + 7);
  return c;
}

}  // namespace

std::string_view to_string(GroupStatus status) {
  switch (status) {
    case GroupStatus::open:
      return "open";
    case GroupStatus::resolved:
      return "resolved";
    case GroupStatus::ignored:
      return "ignored";
  }
  return "open";
}

std::optional<GroupStatus> parse_status(std::string_view text) {
  if (text == "open") return GroupStatus::open;
  if (text == "resolved") return GroupStatus::resolved;
  if (text == "ignored") return GroupStatus::ignored;
  return std::nullopt;
}

nlohmann::json to_json(const EventSummary& e) {
  return nlohmann::json{{"id", e.id},           {"group_id", e.group_id}, {"received_at", e.received_at},
                        {"timestamp", e.timestamp}, {"source", e.source},  {"kind", e.kind},
                        {"type", e.type},       {"message", e.message},   {"pid", e.pid},
                        {"comm", e.comm}};
}

std::optional<GroupCounts> select_group_counts(store::StatementCache& sql, std::string_view signature) {
  auto q = sql.get(
      "SELECT id, count, first_seen, last_seen, status, status_changed_at, regressions, last_event_id FROM error_groups "
      "WHERE signature = ?1");
  q->bind(1, signature);
  if (!q->step()) return std::nullopt;
  return counts_from(*q, 0);
}

std::vector<std::pair<std::string, GroupCounts>> select_recent_group_counts(store::StatementCache& sql, int limit) {
  auto q = sql.get(
      "SELECT signature, id, count, first_seen, last_seen, status, status_changed_at, regressions, last_event_id "
      "FROM error_groups "
      "ORDER BY last_seen DESC, id DESC LIMIT ?1");
  q->bind(1, static_cast<int64_t>(limit));
  std::vector<std::pair<std::string, GroupCounts>> out;
  while (q->step()) out.emplace_back(q->column_text(0), counts_from(*q, 1));
  return out;
}

int64_t insert_group(store::StatementCache& sql, const NewGroupRow& row) {
  auto q = sql.get(
      "INSERT INTO error_groups (signature, error_class, type, message, count, first_seen, last_seen, status, "
      "status_changed_at, stack_id, signature_frames) VALUES (?1, ?2, ?3, ?4, 0, ?5, ?5, 'open', ?5, ?6, ?7) "
      "RETURNING id");
  q->bind(1, row.signature);
  q->bind(2, row.error_class);
  q->bind(3, row.type);
  q->bind(4, row.message);
  q->bind(5, row.now_ms);
  q->bind(6, row.stack_id);
  q->bind(7, row.signature_frames_json);
  if (!q->step()) throw store::StoreError("inserting an error group returned no id");
  return q->column_int64(0);
}

void update_group_counts(store::StatementCache& sql, const GroupCounts& c) {
  auto q = sql.get(
      "UPDATE error_groups SET count = ?2, first_seen = ?3, last_seen = ?4, status = ?5, status_changed_at = ?6, "
      "regressions = ?7, last_event_id = (SELECT id FROM error_events WHERE id = ?8) WHERE id = ?1");
  q->bind(1, c.id);
  q->bind(2, c.count);
  q->bind(3, c.first_seen);
  q->bind(4, c.last_seen);
  q->bind(5, to_string(c.status));
  q->bind(6, c.status_changed_at);
  q->bind(7, c.regressions);
  if (c.last_event_id > 0) {
    q->bind(8, c.last_event_id);
  } else {
    q->bind_null(8);
  }
  q->run();
}

namespace {

constexpr const char* kFoldKey = "error_events_folded_through";
constexpr int kEventColumns = 13;

std::string multi_row_insert(std::size_t rows) {
  std::string sql =
      "INSERT INTO error_events (id, group_id, prev_id, received_at, timestamp, source, kind, type, message, pid, comm, "
      "stack_id, context) VALUES ";
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r ? ",(" : "(";
    for (int c = 0; c < kEventColumns; ++c) sql += c ? ",?" : "?";
    sql += ")";
  }
  return sql;
}

// Binds one row at parameters first+1 .. first+kEventColumns, in the column order above.
void bind_event(store::Statement& q, int first, const EventRow& row) {
  q.bind(first + 1, row.id);
  q.bind(first + 2, row.group_id);
  if (row.prev_id > 0) {
    q.bind(first + 3, row.prev_id);
  } else {
    q.bind_null(first + 3);
  }
  q.bind(first + 4, row.received_at);
  q.bind(first + 5, row.timestamp);
  q.bind_unowned(first + 6, row.source);
  q.bind_unowned(first + 7, row.kind);
  q.bind_unowned(first + 8, row.type);
  q.bind_unowned(first + 9, row.message);
  q.bind(first + 10, static_cast<int64_t>(row.pid));
  q.bind_unowned(first + 11, row.comm);
  q.bind(first + 12, row.stack_id);
  q.bind_unowned(first + 13, row.context_json);
}

}  // namespace

void insert_events(store::StatementCache& sql, const std::vector<EventRow>& rows) {
  static const std::string kFull = multi_row_insert(kEventsPerInsert);
  static const std::string kOne = multi_row_insert(1);
  std::size_t i = 0;
  for (; i + kEventsPerInsert <= rows.size(); i += kEventsPerInsert) {
    auto q = sql.get(kFull);
    for (std::size_t r = 0; r < kEventsPerInsert; ++r) bind_event(*q, static_cast<int>(r) * kEventColumns, rows[i + r]);
    q->run();
  }
  for (; i < rows.size(); ++i) {
    auto q = sql.get(kOne);
    bind_event(*q, 0, rows[i]);
    q->run();
  }
}

int64_t select_max_event_id(store::StatementCache& sql) {
  auto q = sql.get("SELECT coalesce(max(id), 0) FROM error_events");
  if (!q->step()) return 0;
  return q->column_int64(0);
}

int64_t select_fold_watermark(store::StatementCache& sql) {
  std::optional<std::string> stored;
  {
    auto q = sql.get("SELECT value FROM meta WHERE key = ?1");
    q->bind(1, std::string_view(kFoldKey));
    if (q->step()) stored = q->column_text(0);
  }
  if (stored) {
    try {
      return std::stoll(*stored);
    } catch (const std::exception&) {
      throw store::StoreError("meta " + std::string(kFoldKey) + " is not a number: " + *stored);
    }
  }
  const int64_t id = select_max_event_id(sql);
  store_fold_watermark(sql, id);
  return id;
}

void store_fold_watermark(store::StatementCache& sql, int64_t event_id) {
  auto q = sql.get("INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  q->bind(1, std::string_view(kFoldKey));
  q->bind(2, std::string_view(std::to_string(event_id)));
  q->run();
}

namespace {

// Per group, the events above the watermark that its row does not cover yet. A range scan of
// the events above the watermark by primary key: as many as were committed since the last full
// flush (about a second of ingest), not the whole table.
std::unordered_map<int64_t, UnfoldedEvents> unfolded_above(store::StatementCache& sql, int64_t watermark) {
  std::unordered_map<int64_t, UnfoldedEvents> out;
  auto q = sql.get(
      "SELECT e.group_id, count(*), min(e.received_at), max(e.received_at), max(e.id) FROM error_events e "
      "JOIN error_groups g ON g.id = e.group_id "
      "WHERE e.id > ?1 AND (g.last_event_id IS NULL OR e.id > g.last_event_id) GROUP BY e.group_id");
  q->bind(1, watermark);
  while (q->step()) {
    out[q->column_int64(0)] = UnfoldedEvents{q->column_int64(1), q->column_int64(2), q->column_int64(3),
                                             q->column_int64(4)};
  }
  return out;
}

}  // namespace

std::unordered_map<int64_t, UnfoldedEvents> select_unfolded_events(store::StatementCache& sql) {
  std::optional<std::string> stored;
  {
    auto q = sql.get("SELECT value FROM meta WHERE key = ?1");
    q->bind(1, std::string_view(kFoldKey));
    if (q->step()) stored = q->column_text(0);
  }
  if (!stored) return {};  // rows written per batch by an older version: exact
  try {
    return unfolded_above(sql, std::stoll(*stored));
  } catch (const std::invalid_argument&) {
    return {};
  } catch (const std::out_of_range&) {
    return {};
  }
}

void add_unfolded(nlohmann::json& group, const std::unordered_map<int64_t, UnfoldedEvents>& unfolded) {
  auto it = unfolded.find(group.value("id", int64_t{0}));
  if (it == unfolded.end()) return;
  const UnfoldedEvents& u = it->second;
  group["count"] = group.value("count", int64_t{0}) + u.count;
  group["first_seen"] = std::min(group.value("first_seen", u.first_seen), u.first_seen);
  group["last_seen"] = std::max(group.value("last_seen", u.last_seen), u.last_seen);
}

std::size_t fold_unfolded_events(store::StatementCache& sql, int64_t watermark) {
  struct Delta {
    int64_t group_id, count, first_seen, last_seen, last_event_id;
  };
  std::vector<Delta> deltas;
  for (const auto& [id, u] : unfolded_above(sql, watermark)) {
    deltas.push_back(Delta{id, u.count, u.first_seen, u.last_seen, u.last_event_id});
  }
  auto u = sql.get(
      "UPDATE error_groups SET count = count + ?2, first_seen = min(first_seen, ?3), last_seen = max(last_seen, ?4), "
      "last_event_id = ?5 WHERE id = ?1");
  for (const auto& d : deltas) {
    u->bind(1, d.group_id);
    u->bind(2, d.count);
    u->bind(3, d.first_seen);
    u->bind(4, d.last_seen);
    u->bind(5, d.last_event_id);
    u->run();
    u->reset();
  }
  return deltas.size();
}

int64_t intern_stack(store::StatementCache& sql, std::string_view frames_json) {
  auto key = fnv1a64(frames_json);
  for (;;) {
    auto find = sql.get("SELECT id, frames FROM error_stacks WHERE hash = ?1");
    find->bind(1, key);
    if (!find->step()) {
      auto insert = sql.get("INSERT INTO error_stacks (hash, frames) VALUES (?1, ?2) RETURNING id");
      insert->bind(1, key);
      insert->bind(2, frames_json);
      if (!insert->step()) throw store::StoreError("inserting an error stack returned no id");
      return insert->column_int64(0);
    }
    if (find->column_text(1) == frames_json) return find->column_int64(0);
    key = static_cast<int64_t>(static_cast<uint64_t>(key) + 1);  // a collision: probe the next key
  }
}

std::optional<std::string> update_group_status(store::StatementCache& sql, int64_t id, GroupStatus status,
                                               int64_t now_ms) {
  // status_changed_at moves only when the status does: PATCHing the same status twice is a no-op.
  auto q = sql.get(
      "UPDATE error_groups SET status_changed_at = CASE WHEN status = ?2 THEN status_changed_at ELSE ?3 END, "
      "status = ?2 WHERE id = ?1 RETURNING signature");
  q->bind(1, id);
  q->bind(2, to_string(status));
  q->bind(3, now_ms);
  if (!q->step()) return std::nullopt;
  return q->column_text(0);
}

nlohmann::json select_groups(store::StatementCache& sql, const GroupFilter& filter) {
  // One statement for every combination of filters: NULL parameters switch a condition off.
  auto q = sql.get(std::string("SELECT ") + kGroupColumns + kGroupFrom +
                   " WHERE (?1 IS NULL OR g.status = ?1) AND (?2 IS NULL OR g.class = ?2) "
                   "AND g.last_seen >= ?3 ORDER BY g.last_seen DESC, g.id DESC LIMIT ?4");
  if (filter.status) {
    q->bind(1, to_string(*filter.status));
  } else {
    q->bind_null(1);
  }
  q->bind(2, filter.error_class_filter);
  q->bind(3, filter.since_ms);
  q->bind(4, static_cast<int64_t>(filter.limit));
  auto groups = nlohmann::json::array();
  while (q->step()) groups.push_back(group_json(*q));
  return nlohmann::json{{"groups", std::move(groups)}};
}

std::optional<nlohmann::json> select_group(store::StatementCache& sql, int64_t id) {
  auto q = sql.get(std::string("SELECT ") + kGroupColumns + kGroupFrom + " WHERE g.id = ?1");
  q->bind(1, id);
  if (!q->step()) return std::nullopt;
  return group_json(*q);
}

// The walk ends where the chain does: at a first event (prev_id NULL), or at an id archived
// away (migrations/0006: no row, so the JOIN yields nothing). The group and the downward
// direction are checked too, so no reused or damaged link can lead into another group's events
// or loop.
nlohmann::json select_events(store::StatementCache& sql, int64_t group_id, int limit) {
  auto q = sql.get(
      "WITH RECURSIVE chain(id, n) AS ("
      "  SELECT last_event_id, 1 FROM error_groups WHERE id = ?1 AND last_event_id IS NOT NULL AND ?2 > 0"
      "  UNION ALL"
      "  SELECT e.prev_id, c.n + 1 FROM chain c JOIN error_events e ON e.id = c.id AND e.group_id = ?1"
      "  WHERE c.n < ?2 AND e.prev_id IS NOT NULL AND e.prev_id < e.id) "
      "SELECT e.id, e.received_at, e.timestamp, e.source, e.kind, e.type, e.message, e.pid, e.comm, s.frames, "
      "e.context FROM chain c JOIN error_events e ON e.id = c.id AND e.group_id = ?1 "
      "JOIN error_stacks s ON s.id = e.stack_id ORDER BY e.id DESC");
  q->bind(1, group_id);
  q->bind(2, static_cast<int64_t>(limit));
  auto events = nlohmann::json::array();
  while (q->step()) {
    events.push_back(nlohmann::json{{"id", q->column_int64(0)},
                                    {"group_id", group_id},
                                    {"received_at", q->column_int64(1)},
                                    {"timestamp", q->column_int64(2)},
                                    {"source", q->column_text(3)},
                                    {"kind", q->column_text(4)},
                                    {"type", q->column_text(5)},
                                    {"message", q->column_text(6)},
                                    {"pid", q->column_int64(7)},
                                    {"comm", q->column_text(8)},
                                    {"frames", parse_json_column(q->column_text(9))},
                                    {"context", parse_json_column(q->column_text(10))}});
  }
  return events;
}

std::vector<EventSummary> select_recent_event_summaries(store::StatementCache& sql, int limit) {
  auto q = sql.get(
      "SELECT id, group_id, received_at, timestamp, source, kind, type, message, pid, comm FROM "
      "(SELECT id, group_id, received_at, timestamp, source, kind, type, message, pid, comm FROM error_events "
      "ORDER BY id DESC LIMIT ?1) ORDER BY id");
  q->bind(1, static_cast<int64_t>(limit));
  std::vector<EventSummary> out;
  while (q->step()) {
    EventSummary e;
    e.id = q->column_int64(0);
    e.group_id = q->column_int64(1);
    e.received_at = q->column_int64(2);
    e.timestamp = q->column_int64(3);
    e.source = q->column_text(4);
    e.kind = q->column_text(5);
    e.type = q->column_text(6);
    e.message = q->column_text(7);
    e.pid = static_cast<int>(q->column_int64(8));
    e.comm = q->column_text(9);
    out.push_back(std::move(e));
  }
  return out;
}

// Inserts the key (migrations/0009_ingest_keys.sql); false when it was there already (that occurrence is stored: skip it). Inside
// the batch's transaction, so the key and its event are committed, or rolled back, together.
void prune_ingest_keys(store::StatementCache& sql, int64_t before_ms) {
  auto del = sql.get("DELETE FROM error_ingest_keys WHERE received_at < ?1");
  del->bind(1, before_ms);
  del->run();
}

bool claim_ingest_key(store::StatementCache& sql, const std::string& key, int64_t received_at) {
  auto insert = sql.get(
      "INSERT INTO error_ingest_keys (key, received_at) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING RETURNING key");
  insert->bind(1, std::string_view(key));
  insert->bind(2, received_at);
  return insert->step();
}


}  // namespace dbg::coord::errors
