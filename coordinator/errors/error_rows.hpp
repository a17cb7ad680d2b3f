#pragma once
// Error groups and events as rows of migrations/0005_errors.sql, and back. Runs on the store
// thread inside Store::write / Store::read jobs; no transactions here (the store owns them).
// Every failure throws StoreError.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace dbg::coord::store {
class StatementCache;
}

namespace dbg::coord::errors {

enum class GroupStatus { open, resolved, ignored };
std::string_view to_string(GroupStatus status);
std::optional<GroupStatus> parse_status(std::string_view text);

// The part of a group that every event changes: small, so the service caches it per signature.
struct GroupCounts {
  int64_t id = 0;
  int64_t count = 0;
  int64_t first_seen = 0;
  int64_t last_seen = 0;
  GroupStatus status = GroupStatus::open;
  int64_t status_changed_at = 0;
  int64_t regressions = 0;
  int64_t last_event_id = 0;  // 0: none yet
};

struct NewGroupRow {
  std::string_view signature;
  std::string_view error_class;
  std::string_view type;
  std::string_view message;
  int64_t stack_id = 0;  // the first event's frames (intern_stack)
  std::string_view signature_frames_json;
  int64_t now_ms = 0;
};

struct EventRow {
  int64_t id = 0;  // assigned by the service (fold bookkeeping: never reused below the watermark)
  int64_t group_id = 0;
  int64_t prev_id = 0;  // the group's previous event; 0: none
  int64_t received_at = 0;
  int64_t timestamp = 0;
  std::string_view source;
  std::string_view kind;
  std::string_view type;
  std::string_view message;
  int pid = 0;
  std::string_view comm;
  int64_t stack_id = 0;  // intern_stack()
  std::string_view context_json;
};

// An event without frames and context: what the in-memory history keeps (bounded in size).
struct EventSummary {
  int64_t id = 0;
  int64_t group_id = 0;
  int64_t received_at = 0;
  int64_t timestamp = 0;
  std::string source;
  std::string kind;
  std::string type;
  std::string message;
  int pid = 0;
  std::string comm;
};
nlohmann::json to_json(const EventSummary& e);

struct GroupFilter {
  std::optional<GroupStatus> status;
  std::optional<std::string> error_class_filter;  // the classifier's "class" (#6): NULL for now
  int64_t since_ms = 0;                           // last_seen >= since
  int limit = 100;
};

std::optional<GroupCounts> select_group_counts(store::StatementCache& sql, std::string_view signature);
// The groups seen most recently, with their signatures (to warm the cache at start).
std::vector<std::pair<std::string, GroupCounts>> select_recent_group_counts(store::StatementCache& sql, int limit);
// A new group with count 0, status open; returns its id.
int64_t insert_group(store::StatementCache& sql, const NewGroupRow& row);
// Writes the counts as they are (absolute values, so writing twice is harmless). last_event_id
// becomes NULL if that event is gone (archived), as migrations/0006 wants.
void update_group_counts(store::StatementCache& sql, const GroupCounts& counts);
// Many events, kEventsPerInsert rows per INSERT statement (SQLite's per-statement work, not the
// rows, was most of the insert cost). The rows' texts must stay alive during the call.
inline constexpr std::size_t kEventsPerInsert = 64;
void insert_events(store::StatementCache& sql, const std::vector<EventRow>& rows);
int64_t select_max_event_id(store::StatementCache& sql);

// Lazily written group rows (error_service.hpp, "Group rows"): every event with an id above the
// fold watermark may be missing from its group row's counts, unless the row's last_event_id
// already covers it. The watermark lives in meta ("error_events_folded_through"); a database
// without it (new, or written by a version that updated rows per batch) has exact rows, so the
// first call records max(id) there.
int64_t select_fold_watermark(store::StatementCache& sql);
void store_fold_watermark(store::StatementCache& sql, int64_t event_id);
// Adds to each group row the events above the watermark it does not cover yet (count,
// first/last seen, last_event_id): after it, every row is exact. Returns the groups changed.
std::size_t fold_unfolded_events(store::StatementCache& sql, int64_t watermark);

// The same without writing (for reads when writes fail, e.g. a full disk): what each group row
// lacks, to add to the rows as read.
struct UnfoldedEvents {
  int64_t count = 0;
  int64_t first_seen = 0;
  int64_t last_seen = 0;
  int64_t last_event_id = 0;
};
std::unordered_map<int64_t, UnfoldedEvents> select_unfolded_events(store::StatementCache& sql);
// Adds them to a group as the API shows it (select_group / select_groups' items).
void add_unfolded(nlohmann::json& group, const std::unordered_map<int64_t, UnfoldedEvents>& unfolded);
// The id of the error_stacks row holding exactly this frames text, inserted if missing.
int64_t intern_stack(store::StatementCache& sql, std::string_view frames_json);

// Sets the status; the signature of the group, or nullopt when no group has this id.
std::optional<std::string> update_group_status(store::StatementCache& sql, int64_t id, GroupStatus status,
                                               int64_t now_ms);

// The API shapes (docs/api.md): {"groups":[group...]} newest last_seen first; one group; its
// latest events with their context, newest first.
nlohmann::json select_groups(store::StatementCache& sql, const GroupFilter& filter);
std::optional<nlohmann::json> select_group(store::StatementCache& sql, int64_t id);
nlohmann::json select_events(store::StatementCache& sql, int64_t group_id, int limit);
// The latest events of all groups, oldest of them first (to warm the in-memory history).
std::vector<EventSummary> select_recent_event_summaries(store::StatementCache& sql, int limit);

// An event's ingest key (ErrorEvent::ingest_key) inserted; false when it is stored already.
bool claim_ingest_key(store::StatementCache& sql, const std::string& key, int64_t received_at);
// Forgets the keys received before `before_ms`: their producers have long dropped them (a core
// report's file is unlinked once its event is stored), so the table stays small.
void prune_ingest_keys(store::StatementCache& sql, int64_t before_ms);

}  // namespace dbg::coord::errors
