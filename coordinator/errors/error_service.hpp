#pragma once
// ErrorService: error events in, error groups out. Every event gets a signature
// (signature.hpp), is counted in its group (created on first sight) and stored; the groups are
// served to the API and announced on the event hub (topic "errors").
//
// Where the truth lives: SQLite (migrations/0005_errors.sql) holds every group and every event;
// what a client was told is committed (record_batch answers after COMMIT). Memory holds only
// bounded helpers: a signature -> counts cache of at most `cached_groups` groups (an evicted
// group is read back from SQLite on its next event, so a million groups cost no more memory than
// ten thousand), and the last `history_events` events without their frames and context.
//
// Group rows are written lazily. An event changes its group's count, first/last seen and
// last_event_id, and rewriting those rows with every batch (1,000 groups touched by a batch of
// 1,000 events: ~450 KB of pages per COMMIT) was more of the ingest cost than the events
// themselves. So the cache's counts run ahead of the rows ("dirty"), and the rows are brought
// up to date (a "flush") at most kGroupFlushInterval (group_cache.hpp) apart, before any read of groups through
// this service, before a dirty group leaves the cache, and at shutdown. Nothing acknowledged is
// lost to a kill -9 in between: the events themselves are committed before the answer, with ids
// the service assigns in increasing order, and meta's "error_events_folded_through" (the fold
// watermark, error_rows.hpp) says up to which id every row is exact. On start, and after any
// failed write, the cache is dropped and the events above the watermark that a row does not
// cover yet (id > its last_event_id) are folded into the rows with one range scan; the counts
// are then exact again. Status changes (set_status, a regression's reopen) are written at once.
//
// Threads: record*/set_status/queries may be called from any thread. Signatures and JSON are
// computed on the caller's thread (record, record_batch) or on the service's parser thread
// (record_body: POST bodies, thread "dbg-err-parse"); grouping and SQL run on the store's
// thread (inside Store::write, batched with other writes); the group cache is touched only
// there, so it needs no lock. The parser thread keeps a memo of the frames texts it has seen
// (prepared_stack.hpp): an event repeating one shares its prepared stack, which also carries
// its error_stacks row id once the store knows it.
// `done` callbacks run on the store thread (or the parser's / the caller's, for refused input).
//
// Hub events are coalesced: changes are gathered and published at most once per
// `publish_interval` (the first change after a quiet period goes out at once), as
// "groups_created" and "groups_updated" with {"groups":[...]} (at most kGroupsPerHubEvent per
// event, group_publisher.hpp), "group_reopened" per regression, and "group_status" when the API
// sets a status. So an ingest of 100,000 events/s costs the hub a few events per second.
//
// Regressions: an event in a resolved group reopens it (status "open", regressions + 1), as
// error trackers do. An ignored group stays ignored and keeps counting.
//
// This class is the facade over the parts, one job each: event_preparation.hpp (bound, sign,
// serialize), group_cache.hpp (cached counts and the lazily written rows), batch_ingest.hpp
// (grouping and SQL of one batch), group_publisher.hpp (the hub), group_reads.hpp and
// event_history.hpp (what the API reads).
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/errors/error_event.hpp"
#include "coordinator/errors/error_rows.hpp"
#include "coordinator/errors/group_change.hpp"
#include "dbg/error.hpp"

namespace boost::asio {
class thread_pool;
}

namespace dbg::coord {
namespace events {
class Hub;
}
namespace store {
class Store;
class StatementCache;
}
}  // namespace dbg::coord

namespace dbg::coord::errors {

// POST bodies being parsed or stored at once; more get 503 + Retry-After (each may be 1 MiB,
// and a client faster than the disk must not grow our memory).
inline constexpr int kMaxBodiesInFlight = 16;

struct PreparedEvent;
struct BatchOutcome;
// A batch as the store thread stores it (event_preparation.hpp, batch_ingest.hpp).
using PreparedBatch = std::vector<std::shared_ptr<const PreparedEvent>>;
// Runs on the store thread inside the write that stores a batch, after its events and groups:
// what it writes commits or rolls back with them (the fleet's outbox, coordinator/fleet/).
// A throw fails the batch like a failed insert.
using BatchHook = std::function<void(store::StatementCache&, const PreparedBatch&, const BatchOutcome&)>;

struct ErrorServiceConfig {
  std::size_t history_events = 1000;
  std::size_t cached_groups = 10000;
  // The parse thread's memo of frames texts (prepared_stack.hpp): ~2 KB an entry for a
  // five-frame stack, at most 4 KiB an entry on average (16 MiB for 4,096).
  std::size_t cached_stacks = 4096;
  std::chrono::milliseconds publish_interval{250};
};

// Since this service was made. The first four are counted once, in the process-wide instruments
// (error_metrics.hpp: /metrics and /api/v1/stats), and shown here as their change since then:
// the same numbers in dbgcoord, which makes one service; services made one after another (tests)
// each count their own. The cache's figures are this service's own (group_cache.hpp).
struct ErrorServiceStats {
  uint64_t events_recorded = 0;  // committed
  uint64_t events_failed = 0;    // refused by the store (disk full, ...)
  uint64_t groups_created = 0;
  uint64_t regressions = 0;
  uint64_t cache_hits = 0;
  uint64_t cache_misses = 0;
  std::size_t cached_groups = 0;
  std::size_t history_size = 0;
};

class ErrorService {
 public:
  // `executor` runs the coalesced hub publishing (a timer); the store and the hub must outlive
  // the service. Warms the cache and the history from SQLite (groups survive a restart anyway:
  // they are read back on demand).
  ErrorService(store::Store& store, std::shared_ptr<events::Hub> hub, boost::asio::any_io_executor executor,
               ErrorServiceConfig config = {});
  // Waits for the bodies being parsed and this service's queued writes.
  ~ErrorService();
  ErrorService(const ErrorService&) = delete;
  ErrorService& operator=(const ErrorService&) = delete;

  // Records the events, all in one store write. done gets the group id of each event, in order,
  // after COMMIT; or the store's Error (nothing of the batch is then stored).
  void record_batch(std::vector<ErrorEvent> events, std::function<void(Result<std::vector<int64_t>>)> done);
  // POST /api/v1/errors/events: parses the body (error_event_json.hpp) on the service's own
  // thread, not the caller's: 1,000 events take milliseconds to parse and sign, which must not
  // stall the network thread. done: the group ids after COMMIT; bad_request for a malformed body
  // (nothing stored); queue_full beyond kMaxBodiesInFlight.
  void record_body(std::string body, std::function<void(Result<std::vector<int64_t>>)> done);
  // One event, answer not needed (a failure is logged).
  void record(ErrorEvent event);
  // For producers (the watch manager): calls record().
  ErrorRecorder recorder();

  // Reads of groups run as store writes: the dirty group rows are flushed first, in the same
  // transaction, so the answer is exact (and given after that COMMIT).
  // GET /api/v1/errors: {"groups":[...]}.
  void list_groups(GroupFilter filter, std::function<void(Result<nlohmann::json>)> done);
  // GET /api/v1/errors/{id}: the group plus "events" (its latest, newest first, with context);
  // Error not_found for an unknown id.
  void get_group(int64_t id, int latest_events, std::function<void(Result<nlohmann::json>)> done);
  // PATCH /api/v1/errors/{id}: the group after the change, once committed; not_found if unknown.
  void set_status(int64_t id, GroupStatus status, std::function<void(Result<nlohmann::json>)> done);
  // The most recent events (memory only, no frames or context), newest first.
  nlohmann::json recent_events(std::size_t limit) const;

  ErrorServiceStats stats() const;

  // Set before events flow (the observer is read on the store thread after commits).
  void set_group_observer(GroupObserver observer);
  // Set before events flow (read on the store thread inside each batch's write).
  void set_batch_hook(BatchHook hook);
  // Store thread only, from inside a Store::write that changed error_groups or error_events
  // behind the service's back (the archiver folding events away): writes the dirty group rows
  // (in that write's transaction), then drops the cached counts, which carry last_event_id; they
  // are read back from SQLite on each group's next event. Called inside the write, so an ingest
  // later in the same transaction already reads back.
  void forget_cached_groups(store::StatementCache& sql);
  // Bounds the group and stack caches (the budget's load shedding shrinks them, recovery
  // restores ErrorServiceConfig's); any thread. Groups: applied on the store thread (a write:
  // dirty groups are flushed before any is evicted); stacks: on the parse thread.
  void set_cache_capacity(std::size_t groups, std::size_t stacks);

  struct State;  // shared with callbacks that may outlive a call (store and timer callbacks)

 private:
  std::shared_ptr<State> state_;
  std::unique_ptr<boost::asio::thread_pool> parser_;  // one thread: parse and sign bodies
};

}  // namespace dbg::coord::errors
