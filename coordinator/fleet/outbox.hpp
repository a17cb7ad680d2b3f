#pragma once
// The fleet outbox (migrations/0011_fleet_outbox.sql): what PostgreSQL must see, in the local
// SQLite, written in the same transaction as the change, shipped by the publisher
// (publisher.hpp) and deleted once PostgreSQL committed it.
//
// One row per group per stored batch of error events: the group's count in that batch, its
// first/last seen, and the batch's latest event of the group as a sample (crash events carry
// their minimal context). So 1,000 events of 3 groups cost 3 rows, not 1,000.
//
// The bound (--fleet-outbox-mb): past it, the counts stay exact and the samples go. A group's
// part of a batch is then added to that group's one count-only row not yet claimed by the
// publisher (or starts it), so while PostgreSQL is away the outbox grows by one small row per
// signature, not per batch; the samples dropped are counted (dbgcoord_fleet_samples_dropped_total).
//
// Threads: every member but stats() runs on the store thread (inside Store::write or read),
// which is what makes "claimed" safe: a claim and a merge never run at once. Rows present at
// start count as claimed (no merge into a row a previous run may have shipped already).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "coordinator/errors/error_service.hpp"

namespace dbg::coord::store {
class StatementCache;
}

namespace dbg::coord::fleet {

struct OutboxRow {
  int64_t id = 0;
  std::string kind = "errors";  // or "session": signature is the local session id, message its status
  int64_t created_at = 0;
  std::string signature, error_class, type, message;
  int64_t count = 0;
  int64_t first_seen = 0, last_seen = 0;
  std::optional<std::string> sample;  // JSON; none when dropped at the bound
};

struct OutboxStats {
  uint64_t rows = 0;
  uint64_t bytes = 0;
  uint64_t samples_dropped = 0;  // since start
  uint64_t rows_appended = 0;    // since start
};

class Outbox {
 public:
  explicit Outbox(uint64_t max_bytes) : max_bytes_(max_bytes) {}

  // Store thread, once before any append: the totals of the rows a previous run left, all of
  // them claimed.
  void load(store::StatementCache& sql);
  // Store thread, inside the batch's write (ErrorService's BatchHook).
  void append(store::StatementCache& sql, const errors::PreparedBatch& events, const errors::BatchOutcome& outcome,
              int64_t now_ms);
  // Store thread, inside the write that saves a session row (Store's SessionSavedHook): a
  // session that ended is to be published.
  void append_session(store::StatementCache& sql, const std::string& session_id, const std::string& status,
                      int64_t now_ms);
  // Store thread (a read): up to `limit` rows with id > after, oldest first; they are claimed
  // from then on (never merged into).
  std::vector<OutboxRow> claim(store::StatementCache& sql, int64_t after, std::size_t limit);
  // Store thread (a write): the rows PostgreSQL committed are gone.
  void remove_through(store::StatementCache& sql, int64_t through);

  OutboxStats stats() const;  // any thread

  // A row's cost against the bound: its text plus a fixed overhead for the row and its key.
  static uint64_t row_bytes(const OutboxRow& row);

 private:
  void insert(store::StatementCache& sql, OutboxRow& row);

  const uint64_t max_bytes_;
  int64_t claimed_through_ = 0;  // store thread
  // signature -> its unclaimed count-only row (store thread); entries at or below
  // claimed_through_ are stale and dropped on sight.
  std::unordered_map<std::string, int64_t> count_only_;
  std::atomic<uint64_t> rows_{0}, bytes_{0}, samples_dropped_{0}, rows_appended_{0};
};

// The event as a sample: its fields, frames and context as JSON text (written without a tree,
// as the ingest path writes JSON).
std::string sample_json(const errors::PreparedEvent& event);

}  // namespace dbg::coord::fleet
