#include "coordinator/fleet/outbox.hpp"

#include <algorithm>
#include <string_view>

#include "coordinator/errors/batch_ingest.hpp"
#include "coordinator/errors/event_preparation.hpp"
#include "coordinator/errors/json_writer.hpp"
#include "coordinator/store/statement.hpp"

namespace dbg::coord::fleet {

namespace {

// SQLite's per-row and per-index-entry cost, roughly: enough that a million tiny rows do not
// count as free.
constexpr uint64_t kRowOverheadBytes = 64;

// One group's part of one batch.
struct GroupPart {
  const errors::PreparedEvent* first = nullptr;
  const errors::PreparedEvent* last = nullptr;
  int64_t count = 0;
  int64_t first_seen = 0, last_seen = 0;
};

void append_field(std::string& out, std::string_view key, std::string_view value) {
  out += ',';
  errors::append_json_string(out, key);
  out += ':';
  errors::append_json_string(out, value);
}

}  // namespace

std::string sample_json(const errors::PreparedEvent& p) {
  const auto& e = p.event;
  std::string out = "{\"received_at\":" + std::to_string(p.received_at);
  out += ",\"timestamp_ms\":" + std::to_string(e.timestamp_ms);
  out += ",\"pid\":" + std::to_string(e.pid);
  append_field(out, "source", e.source);
  append_field(out, "kind", e.kind);
  append_field(out, "type", e.type);
  append_field(out, "message", e.message);
  append_field(out, "comm", e.comm);
  // Both are JSON already (the ingest path wrote them); spliced, not parsed again.
  out += ",\"frames\":";
  out += p.stack ? p.stack->frames_json : std::string("[]");
  out += ",\"context\":";
  out += p.context_json.empty() ? std::string("{}") : p.context_json;
  out += '}';
  return out;
}

uint64_t Outbox::row_bytes(const OutboxRow& r) {
  return kRowOverheadBytes + r.signature.size() + r.error_class.size() + r.type.size() + r.message.size() +
         (r.sample ? r.sample->size() : 0);
}

void Outbox::load(store::StatementCache& sql) {
  auto q = sql.get("SELECT count(*), coalesce(sum(bytes), 0), coalesce(max(id), 0) FROM fleet_outbox");
  q->step();
  rows_ = static_cast<uint64_t>(q->column_int64(0));
  bytes_ = static_cast<uint64_t>(q->column_int64(1));
  claimed_through_ = q->column_int64(2);
  count_only_.clear();
}

void Outbox::insert(store::StatementCache& sql, OutboxRow& row) {
  auto q = sql.get(
      "INSERT INTO fleet_outbox (created_at, signature, error_class, type, message, count, first_seen, last_seen,"
      " sample, bytes, kind) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id");
  const uint64_t bytes = row_bytes(row);
  q->bind(1, row.created_at);
  q->bind_unowned(2, row.signature);
  q->bind_unowned(3, row.error_class);
  q->bind_unowned(4, row.type);
  q->bind_unowned(5, row.message);
  q->bind(6, row.count);
  q->bind(7, row.first_seen);
  q->bind(8, row.last_seen);
  if (row.sample) q->bind_unowned(9, *row.sample);
  else q->bind_null(9);
  q->bind(10, static_cast<int64_t>(bytes));
  q->bind_unowned(11, row.kind);
  q->step();
  row.id = q->column_int64(0);
  rows_.fetch_add(1, std::memory_order_relaxed);
  bytes_.fetch_add(bytes, std::memory_order_relaxed);
  rows_appended_.fetch_add(1, std::memory_order_relaxed);
}

void Outbox::append(store::StatementCache& sql, const errors::PreparedBatch& events,
                    const errors::BatchOutcome& outcome, int64_t now_ms) {
  // Events in batch order; group_ids[i] is 0 for an event skipped as a duplicate (its
  // ingest_key was stored already), which the fleet must not count either.
  std::unordered_map<std::string_view, GroupPart> parts;
  std::vector<std::string_view> order;  // first appearance: rows come out in a stable order
  for (std::size_t i = 0; i < events.size() && i < outcome.group_ids.size(); ++i) {
    if (outcome.group_ids[i] == 0) continue;
    const errors::PreparedEvent& p = *events[i];
    auto [it, fresh] = parts.try_emplace(p.signature);
    GroupPart& part = it->second;
    if (fresh) {
      order.push_back(p.signature);
      part.first = &p;
      part.first_seen = part.last_seen = p.received_at;
    }
    part.last = &p;
    ++part.count;
    part.first_seen = std::min(part.first_seen, p.received_at);
    part.last_seen = std::max(part.last_seen, p.received_at);
  }
  for (std::string_view signature : order) {
    const GroupPart& part = parts.at(signature);
    OutboxRow row;
    row.created_at = now_ms;
    row.signature = std::string(signature);
    // The group's identity as its first event gave it (error_groups keeps the same).
    row.error_class = part.first->error_class;
    row.type = part.first->event.type;
    row.message = part.first->event.message;
    row.count = part.count;
    row.first_seen = part.first_seen;
    row.last_seen = part.last_seen;
    if (bytes_.load(std::memory_order_relaxed) < max_bytes_) {
      row.sample = sample_json(*part.last);
      insert(sql, row);
      continue;
    }
    // Over the bound: the counts go on, the sample is dropped.
    samples_dropped_.fetch_add(1, std::memory_order_relaxed);
    auto known = count_only_.find(row.signature);
    if (known != count_only_.end() && known->second > claimed_through_) {
      // RETURNING tells whether the row is still there: a batch rolled back after its insert
      // (a failed COMMIT) leaves an entry naming a row that never was.
      auto q = sql.get(
          "UPDATE fleet_outbox SET count = count + ?2, first_seen = min(first_seen, ?3), last_seen = max(last_seen, ?4)"
          " WHERE id = ?1 RETURNING id");
      q->bind(1, known->second);
      q->bind(2, row.count);
      q->bind(3, row.first_seen);
      q->bind(4, row.last_seen);
      if (q->step()) continue;
    }
    insert(sql, row);
    count_only_[row.signature] = row.id;
  }
}

void Outbox::append_session(store::StatementCache& sql, const std::string& session_id, const std::string& status,
                            int64_t now_ms) {
  OutboxRow row;
  row.kind = "session";
  row.created_at = row.first_seen = row.last_seen = now_ms;
  row.signature = session_id;
  row.message = status;
  row.count = 1;
  insert(sql, row);
}

std::vector<OutboxRow> Outbox::claim(store::StatementCache& sql, int64_t after, std::size_t limit) {
  auto q = sql.get(
      "SELECT id, created_at, signature, error_class, type, message, count, first_seen, last_seen, sample, kind"
      " FROM fleet_outbox WHERE id > ?1 ORDER BY id LIMIT ?2");
  q->bind(1, after);
  q->bind(2, static_cast<int64_t>(limit));
  std::vector<OutboxRow> out;
  while (q->step()) {
    OutboxRow r;
    r.id = q->column_int64(0);
    r.created_at = q->column_int64(1);
    r.signature = q->column_text(2);
    r.error_class = q->column_text(3);
    r.type = q->column_text(4);
    r.message = q->column_text(5);
    r.count = q->column_int64(6);
    r.first_seen = q->column_int64(7);
    r.last_seen = q->column_int64(8);
    r.sample = q->column_optional_text(9);
    r.kind = q->column_text(10);
    out.push_back(std::move(r));
  }
  if (!out.empty()) claimed_through_ = std::max(claimed_through_, out.back().id);
  // Entries the claim overtook name rows that may be shipped any moment: never merged into.
  std::erase_if(count_only_, [this](const auto& e) { return e.second <= claimed_through_; });
  return out;
}

void Outbox::remove_through(store::StatementCache& sql, int64_t through) {
  {
    auto q = sql.get("DELETE FROM fleet_outbox WHERE id <= ?1");
    q->bind(1, through);
    q->run();
  }
  // Counted again rather than kept by subtraction: a batch rolled back after its rows were
  // counted (a failed COMMIT) would otherwise leave the totals too high for good. After a
  // ship the table holds what arrived meanwhile, so the scan is short.
  auto q = sql.get("SELECT count(*), coalesce(sum(bytes), 0) FROM fleet_outbox");
  q->step();
  rows_ = static_cast<uint64_t>(q->column_int64(0));
  bytes_ = static_cast<uint64_t>(q->column_int64(1));
}

OutboxStats Outbox::stats() const {
  return {rows_.load(std::memory_order_relaxed), bytes_.load(std::memory_order_relaxed),
          samples_dropped_.load(std::memory_order_relaxed), rows_appended_.load(std::memory_order_relaxed)};
}

}  // namespace dbg::coord::fleet
