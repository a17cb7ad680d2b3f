#include "coordinator/archive/archive_rows.hpp"

#include <map>
#include <span>
#include <string>
#include <unordered_set>
#include <utility>

#include "coordinator/archive/archive_summary.hpp"
#include "coordinator/profiles/zlib_codec.hpp"
#include "coordinator/store/statement.hpp"
#include "coordinator/store/store_error.hpp"

namespace dbg::coord::archive {

namespace {

// Level 9: archives are written once per window and read rarely, so the extra CPU of the best
// level buys a smaller database for its whole life.
constexpr int kZlibLevel = 9;
// A summary is bounded (kMaxDistinct values per tally, kMaxSamples contexts); anything larger
// after decompression is not one of ours.
constexpr std::size_t kMaxSummaryBytes = 64u << 20;
// Summaries open at once in a chunk: each holds up to 3 samples (a watch event's context is a
// few KB) and its tallies, and a chunk sorted by time can span many windows of many groups
// (measured: 1,200 of them took the coordinator over its 50 MB budget). A chunk ends early at
// this many; the next one continues from there.
constexpr std::size_t kMaxSummariesPerChunk = 256;

// One window's archive row, merged into or created. Both statements number the summary's
// columns alike (?4 .. ?12), so the values are bound once whichever runs.
constexpr const char* kMergeArchive =
    "UPDATE error_archives SET event_count = ?4, first_seen = ?5, last_seen = ?6, raw_bytes = ?7, "
    "summary_bytes = ?8, compressed_bytes = ?9, ratio = ?10, updated_at = ?11, summary = ?12 WHERE id = ?1";
constexpr const char* kCreateArchive =
    "INSERT INTO error_archives (group_id, window_start, window_end, event_count, first_seen, last_seen, "
    "raw_bytes, summary_bytes, compressed_bytes, ratio, created_at, updated_at, summary) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12)";

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

nlohmann::json decompress_summary(const std::vector<std::uint8_t>& blob) {
  auto text = profiles::zlib_decompress(std::string_view(reinterpret_cast<const char*>(blob.data()), blob.size()),
                                        kMaxSummaryBytes);
  if (!text) throw store::StoreError("archive summary: " + text.error().message);
  auto j = nlohmann::json::parse(text.value(), nullptr, false);
  if (j.is_discarded()) throw store::StoreError("archive summary: not JSON");
  return j;
}

struct ExistingArchive {
  int64_t id = 0, raw_bytes = 0, compressed_bytes = 0, event_count = 0;
  std::vector<std::uint8_t> blob;
};

std::optional<ExistingArchive> find_archive(store::StatementCache& sql, int64_t group_id, int64_t window_start) {
  auto q = sql.get(
      "SELECT id, raw_bytes, compressed_bytes, event_count, summary FROM error_archives "
      "WHERE group_id = ?1 AND window_start = ?2");
  q->bind(1, group_id);
  q->bind(2, window_start);
  if (!q->step()) return std::nullopt;
  return ExistingArchive{q->column_int64(0), q->column_int64(1), q->column_int64(2), q->column_int64(3), q->column_blob(4)};
}

RawEvent read_event(store::Statement& q) {
  RawEvent e;
  e.id = q.column_int64(0);
  e.group_id = q.column_int64(1);
  e.received_at = q.column_int64(2);
  e.timestamp = q.column_int64(3);
  e.source = q.column_text(4);
  e.kind = q.column_text(5);
  e.type = q.column_text(6);
  e.message = q.column_text(7);
  e.pid = q.column_int64(8);
  e.comm = q.column_text(9);
  e.stack_id = q.column_int64(10);
  e.context_json = q.column_text(11);
  return e;
}

}  // namespace

ArchiveDelta archive_chunk(store::StatementCache& sql, int64_t cutoff_ms, int64_t window_ms, int64_t max_events,
                           int64_t now_ms) {
  ArchiveDelta delta;
  // Folded while reading: memory holds the summaries (bounded) and the ids, never the chunk's
  // contexts (10,000 watch events with all their threads' registers would be tens of MB).
  std::map<std::pair<int64_t, int64_t>, ArchiveSummary> folds;  // (group, window start) -> events
  std::vector<int64_t> ids;
  ids.reserve(static_cast<std::size_t>(max_events));
  {
    // error_events_by_timestamp serves the order; id breaks ties, so the chunks of one run
    // partition the old events exactly.
    auto q = sql.get(
        "SELECT id, group_id, received_at, timestamp, source, kind, type, message, pid, comm, stack_id, context "
        "FROM error_events WHERE timestamp < ?1 ORDER BY timestamp, id LIMIT ?2");
    q->bind(1, cutoff_ms);
    q->bind(2, max_events);
    while (q->step()) {
      RawEvent e = read_event(*q);
      const int64_t start = window_start_of(e.timestamp, window_ms);
      auto key = std::make_pair(e.group_id, start);
      auto it = folds.find(key);
      if (it == folds.end()) {
        if (folds.size() == kMaxSummariesPerChunk) {
          delta.more = true;  // this event and the rest wait for the next chunk
          break;
        }
        it = folds.emplace(key, ArchiveSummary(e.group_id, start, start + window_ms)).first;
      }
      it->second.add(e);
      ids.push_back(e.id);
    }
  }
  if (ids.empty()) return delta;
  delta.more = delta.more || static_cast<int64_t>(ids.size()) == max_events;
  delta.events_folded = static_cast<int64_t>(ids.size());

  std::unordered_set<int64_t> groups;
  for (auto& [key, fold] : folds) {
    groups.insert(key.first);
    delta.raw_bytes_folded += fold.raw_bytes();
    auto existing = find_archive(sql, key.first, key.second);
    ArchiveSummary merged = fold;
    if (existing) {
      auto old = ArchiveSummary::from_json(decompress_summary(existing->blob));
      if (!old) throw store::StoreError("archive " + std::to_string(existing->id) + ": " + old.error().message);
      merged = std::move(old.value());
      merged.merge(fold);
    }
    const std::string text = merged.to_text();
    const std::string blob = profiles::zlib_compress(text, kZlibLevel);
    const auto compressed = static_cast<int64_t>(blob.size());
    const double ratio = compressed > 0 ? static_cast<double>(merged.raw_bytes()) / static_cast<double>(compressed) : 0.0;
    auto row = sql.get(existing ? kMergeArchive : kCreateArchive);
    if (existing) {
      row->bind(1, existing->id);
    } else {
      row->bind(1, key.first);
      row->bind(2, merged.window_start());
      row->bind(3, merged.window_end());
    }
    row->bind(4, merged.event_count());
    row->bind(5, merged.first_seen());
    row->bind(6, merged.last_seen());
    row->bind(7, merged.raw_bytes());
    row->bind(8, static_cast<int64_t>(text.size()));
    row->bind(9, compressed);
    row->bind(10, ratio);
    row->bind(11, now_ms);
    row->bind_blob(12, bytes_of(blob));
    row->run();
    if (existing) {
      ++delta.archives_merged;
      delta.compressed_bytes += compressed - existing->compressed_bytes;
    } else {
      ++delta.archives_created;
      ++delta.rows;
      delta.compressed_bytes += compressed;
    }
    delta.events += fold.event_count();
    delta.raw_bytes += fold.raw_bytes();
    delta.compressed_bytes_written += compressed;
  }

  // In the same savepoint as the archives above: an event is raw or archived, never both.
  {
    auto d = sql.get("DELETE FROM error_events WHERE id = ?1");
    for (int64_t id : ids) {
      d->bind(1, id);
      d->run();
      d->reset();
    }
  }
  // A group whose newest event was folded starts its chain afresh (NULL), so the chain never
  // names an id SQLite could hand out again (0006).
  {
    auto g = sql.get(
        "UPDATE error_groups SET last_event_id = NULL WHERE id = ?1 AND last_event_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM error_events WHERE id = error_groups.last_event_id)");
    for (int64_t group : groups) {
      g->bind(1, group);
      g->run();
      g->reset();
    }
  }
  // error_stacks rows are kept, even those only the folded events used: groups reference their
  // first event's stack (error_groups.stack_id) and archives their events' (summary "stacks"),
  // lookups probe hash, hash+1, ... so a hole would break the chain of a colliding stack, and
  // the error service caches stack ids that must stay valid. Stacks are stored once per distinct
  // frame list, so they grow with the distinct crashes, not with the events.
  return delta;
}

DatabaseSize database_size(store::StatementCache& sql) {
  auto one = [&](const char* pragma) {
    auto q = sql.get(pragma);
    return q->step() ? q->column_int64(0) : 0;
  };
  DatabaseSize s;
  s.page_size = one("PRAGMA page_size");
  s.page_count = one("PRAGMA page_count");
  s.freelist_count = one("PRAGMA freelist_count");
  return s;
}

ArchiveDelta prune_oldest(store::StatementCache& sql, int64_t max_bytes, int64_t max_rows) {
  ArchiveDelta delta;
  if (database_size(sql).used_bytes() <= max_bytes) return delta;
  struct Victim {
    int64_t id, events, raw, compressed;
  };
  std::vector<Victim> victims;
  {
    auto q = sql.get(
        "SELECT id, event_count, raw_bytes, compressed_bytes FROM error_archives ORDER BY window_start, id LIMIT ?1");
    q->bind(1, max_rows);
    while (q->step()) victims.push_back({q->column_int64(0), q->column_int64(1), q->column_int64(2), q->column_int64(3)});
  }
  auto d = sql.get("DELETE FROM error_archives WHERE id = ?1");
  for (const auto& v : victims) {
    // One at a time, checking the size as pages are freed: prune only what the cap needs.
    d->bind(1, v.id);
    d->run();
    d->reset();
    --delta.rows;
    delta.events -= v.events;
    delta.raw_bytes -= v.raw;
    delta.compressed_bytes -= v.compressed;
    if (database_size(sql).used_bytes() <= max_bytes) return delta;
  }
  delta.more = !victims.empty() && static_cast<int64_t>(victims.size()) == max_rows;
  return delta;
}

ArchiveTotals select_totals(store::StatementCache& sql) {
  auto q = sql.get(
      "SELECT count(*), coalesce(sum(event_count), 0), coalesce(sum(raw_bytes), 0), coalesce(sum(compressed_bytes), 0) "
      "FROM error_archives");
  ArchiveTotals t;
  if (q->step()) t = {q->column_int64(0), q->column_int64(1), q->column_int64(2), q->column_int64(3)};
  return t;
}

namespace {

constexpr const char* kArchiveColumns =
    "id, group_id, window_start, window_end, event_count, first_seen, last_seen, raw_bytes, summary_bytes, "
    "compressed_bytes, ratio, created_at, updated_at";

nlohmann::json archive_row_json(store::Statement& q) {
  return nlohmann::json{{"id", q.column_int64(0)},           {"group_id", q.column_int64(1)},
                        {"window_start", q.column_int64(2)}, {"window_end", q.column_int64(3)},
                        {"event_count", q.column_int64(4)},  {"first_seen", q.column_int64(5)},
                        {"last_seen", q.column_int64(6)},    {"raw_bytes", q.column_int64(7)},
                        {"summary_bytes", q.column_int64(8)}, {"compressed_bytes", q.column_int64(9)},
                        {"ratio", q.column_double(10)},      {"created_at", q.column_int64(11)},
                        {"updated_at", q.column_int64(12)}};
}

}  // namespace

nlohmann::json select_archives(store::StatementCache& sql, const ArchiveFilter& filter) {
  // Two statements rather than "?1 IS NULL OR group_id = ?1": the planner then uses the UNIQUE
  // (group_id, window_start) index for a group and error_archives_by_window otherwise.
  auto q = filter.group_id
               ? sql.get(std::string("SELECT ") + kArchiveColumns +
                         " FROM error_archives WHERE group_id = ?1 AND last_seen >= ?2 ORDER BY window_start DESC, id DESC "
                         "LIMIT ?3")
               : sql.get(std::string("SELECT ") + kArchiveColumns +
                         " FROM error_archives WHERE last_seen >= ?2 ORDER BY window_start DESC, id DESC LIMIT ?3");
  if (filter.group_id) q->bind(1, *filter.group_id);
  q->bind(2, filter.since_ms);
  q->bind(3, static_cast<int64_t>(filter.limit));
  auto archives = nlohmann::json::array();
  while (q->step()) archives.push_back(archive_row_json(*q));
  return nlohmann::json{{"archives", std::move(archives)}};
}

std::optional<nlohmann::json> select_archive(store::StatementCache& sql, int64_t id) {
  auto q = sql.get(std::string("SELECT ") + kArchiveColumns + ", summary FROM error_archives WHERE id = ?1");
  q->bind(1, id);
  if (!q->step()) return std::nullopt;
  nlohmann::json out = archive_row_json(*q);
  out["summary"] = decompress_summary(q->column_blob(13));
  return out;
}

GroupStatusCounts select_group_status_counts(store::StatementCache& sql) {
  auto q = sql.get("SELECT count(*), coalesce(sum(status = 'resolved'), 0), coalesce(sum(count), 0) FROM error_groups");
  GroupStatusCounts c;
  if (q->step()) c = {q->column_int64(0), q->column_int64(1), q->column_int64(2)};
  return c;
}

}  // namespace dbg::coord::archive
