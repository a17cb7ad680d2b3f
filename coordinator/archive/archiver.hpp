#pragma once
// Archiver: folds raw error events older than `after` into per-(group, window) archives
// (archive_rows.hpp), on a schedule (every `interval`) and on demand (POST /api/v1/archives/run),
// then enforces the database size cap by pruning the oldest archives.
//
// Why chunks: a run is a chain of Store::write jobs of at most `chunk_events` events each, every
// one its own transaction step, queued behind whatever else waits for the store. So the store
// thread is never held for more than one chunk (tens of ms), ingest and API reads interleave
// with a long run, and memory is bounded by one chunk's summaries whatever the backlog. A crash
// between chunks loses nothing: each chunk committed both its archives and its deletions, or
// neither; the next run continues with what is left.
//
// One run at a time: a request during a run waits for it and then gets a run of its own (so its
// answer covers every event older than the cutoff at its request); scheduled ticks during a run
// are skipped. Metrics move per committed chunk (dbgcoord_archived_events_total grows during a
// long run), the summary of each run goes to the log and to the hub (topic "archive").
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <nlohmann/json.hpp>

#include "coordinator/archive/archive_rows.hpp"
#include "dbg/error.hpp"

namespace dbg::coord {
namespace events {
class Hub;
}
namespace store {
class Store;
}
}  // namespace dbg::coord

namespace dbg::coord::archive {

struct ArchiveConfig {
  std::chrono::seconds after{3600};     // --archive-after: events older than this are folded
  std::chrono::seconds window{3600};    // --archive-window: one archive per group and window
  std::chrono::seconds interval{300};   // --archive-interval: between scheduled runs
  uint64_t max_db_bytes = 1024ull << 20;  // --max-db-mb; 0 = no cap
  int64_t chunk_events = 10000;
  int64_t prune_rows = 256;  // archives deleted per pruning step at most
};

class Archiver {
 public:
  using Done = std::function<void(Result<nlohmann::json>)>;
  // on_folded runs on the store thread inside every chunk's write, after its events are gone:
  // the error service writes its unsaved group counts there (in the same transaction as the
  // deletion, so no event leaves before its group row counts it) and drops its cache (the
  // cached last_event_id may be folded).
  Archiver(store::Store& store, std::shared_ptr<events::Hub> hub, boost::asio::any_io_executor executor,
           ArchiveConfig config, std::function<void(store::StatementCache&)> on_folded);
  ~Archiver();
  Archiver(const Archiver&) = delete;
  Archiver& operator=(const Archiver&) = delete;

  // Reads the archive totals (gauges) and arms the schedule.
  void start();
  // No further chunks or scheduled runs; callers waiting get "shutting_down".
  void stop();

  // POST /api/v1/archives/run: done gets the run's report (docs/api.md) after its last commit.
  void run_now(Done done);
  void list(ArchiveFilter filter, Done done);
  // Error not_found for an unknown id.
  void get(int64_t id, Done done);

  // The "archives" block of /api/v1/stats and "archive_compression_ratio" (from the gauges, no
  // database trip).
  void add_stats(nlohmann::json& stats) const;

  struct State;

 private:
  struct Schedule;
  void arm();
  std::shared_ptr<State> state_;
  std::unique_ptr<Schedule> schedule_;
};

}  // namespace dbg::coord::archive
