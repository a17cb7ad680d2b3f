#pragma once
// Archives as rows of migrations/0006_archives.sql, and the two jobs that change them: folding a
// chunk of old events in, and pruning the oldest archives under the size cap. Runs on the store
// thread inside Store::write / Store::read jobs; no transactions here (the store's batch
// transaction and the write's SAVEPOINT make each call all-or-nothing). Failures throw.
#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

namespace dbg::coord::store {
class StatementCache;
}

namespace dbg::coord::archive {

// What one chunk or one prune changed; the deltas keep the archive gauges exact without a scan.
struct ArchiveDelta {
  int64_t events_folded = 0;     // raw events deleted into archives
  int64_t archives_created = 0;  // new rows
  int64_t archives_merged = 0;   // existing rows that took more events
  int64_t raw_bytes_folded = 0;  // raw_size() of the events folded
  int64_t compressed_bytes_written = 0;  // blob bytes of the rows written
  // Change of the archive table's totals (negative when pruning).
  int64_t rows = 0, events = 0, raw_bytes = 0, compressed_bytes = 0;
  bool more = false;  // the chunk was full: older events may remain
};

// Folds up to max_events events with timestamp < cutoff_ms (oldest first; fewer when they
// would open more than 256 summaries) into their
// (group, window_ms) archives, merging into an archive that already exists, and deletes them.
// Groups whose last_event_id was folded get NULL there (0006 explains the chain).
ArchiveDelta archive_chunk(store::StatementCache& sql, int64_t cutoff_ms, int64_t window_ms, int64_t max_events,
                           int64_t now_ms);

// Bytes the database's live pages take: (page_count - freelist_count) * page_size. Freed pages
// stay in the file and are reused, so this (not the file size) is what pruning brings down.
struct DatabaseSize {
  int64_t page_size = 0, page_count = 0, freelist_count = 0;
  int64_t used_bytes() const { return (page_count - freelist_count) * page_size; }
  int64_t file_bytes() const { return page_count * page_size; }
};
DatabaseSize database_size(store::StatementCache& sql);

// While the database uses more than max_bytes, deletes the oldest archives (by window, then id),
// at most max_rows of them; delta.rows etc. are negative. `more`: still over and archives left.
ArchiveDelta prune_oldest(store::StatementCache& sql, int64_t max_bytes, int64_t max_rows);

struct ArchiveTotals {
  int64_t rows = 0, events = 0, raw_bytes = 0, compressed_bytes = 0;
};
ArchiveTotals select_totals(store::StatementCache& sql);

struct ArchiveFilter {
  std::optional<int64_t> group_id;
  int64_t since_ms = 0;  // last_seen >= since
  int limit = 100;
};
// {"archives":[...]} newest window first, without the summaries.
nlohmann::json select_archives(store::StatementCache& sql, const ArchiveFilter& filter);
// One archive's row with "summary" (decompressed); nullopt when no archive has this id. Throws
// on a blob that does not decompress to JSON.
std::optional<nlohmann::json> select_archive(store::StatementCache& sql, int64_t id);

// Groups by status over all groups (resolved / all), and the events they count (archived ones
// included; as of the last group-row flush, at most a second behind ingest), for /api/v1/stats.
struct GroupStatusCounts {
  int64_t groups = 0, resolved = 0, events = 0;
};
GroupStatusCounts select_group_status_counts(store::StatementCache& sql);

}  // namespace dbg::coord::archive
