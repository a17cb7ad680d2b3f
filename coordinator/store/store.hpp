#pragma once
// The coordinator's persistence: one SQLite connection on one thread of its own, fed by a queue.
//
// Why a thread and a queue: SQLite calls block (fsync on COMMIT, busy waits), and they must
// never run on the network threads. Callers enqueue and return at once; `done` callbacks run ON
// THE STORE THREAD, so a caller posts back to its own executor or strand before touching its
// state, and a callback must not block (in particular, never call flush() from one).
//
// Why batches: writes queued close together are committed in one BEGIN IMMEDIATE ... COMMIT (up
// to kMaxBatchJobs jobs, or until a batch has been running a few ms), so a burst of 1,000
// snapshots costs a handful of fsyncs rather than 1,000. There is no waiting for a batch to fill:
// whatever arrives while one COMMIT is in progress forms the next batch.
//
// What "acknowledged" means: a write's `done` is called only after the COMMIT that contains it
// succeeded. Each write runs inside its own SAVEPOINT, so one bad write fails alone (its `done`
// gets the Error) without taking its batch down; a failed COMMIT fails every write of the batch.
//
// Durability: WAL with synchronous=FULL, so a committed (acknowledged) write survives a process
// kill and a power cut alike; batching is what keeps the fsync per COMMIT affordable.
//
// Reads run on the same thread, in queue order (a read queued after a write sees it). A read that
// hits a database error logs it and answers "nothing" (nullopt / empty).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coordinator/store/records.hpp"
#include "dbg/error.hpp"
#include "dbg/snapshot.hpp"

namespace dbg::coord::store {

class StatementCache;

class Store {
 public:
  // Upper bound on the writes committed together.
  static constexpr std::size_t kMaxBatchJobs = 256;

  // Opens (creating if needed, WAL), migrates to the embedded schema and starts the thread.
  // Throws StoreError (or SchemaTooNewError) on failure.
  static std::unique_ptr<Store> open(const std::filesystem::path& db_file);
  // Runs everything still queued (committing it and calling its `done`), then joins the thread.
  // Callbacks may still queue work while it drains (it runs too); other threads must have
  // stopped calling the Store by then.
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // taken_at is the time of this call. done(id) after COMMIT.
  void save_snapshot(std::string session_id, dbg::Snapshot snapshot, std::function<void(Result<int64_t>)> done);
  void load_snapshot(int64_t id, std::function<void(std::optional<StoredSnapshot>)> done);

  // Upsert by id: created_at is kept from the first save, updated_at is the time of this call.
  void save_session(SessionRow row, std::function<void(Result<void>)> done);
  void save_session(SessionTextRow row, std::function<void(Result<void>)> done);
  void load_session(std::string id, std::function<void(std::optional<SessionRow>)> done);
  // Newest first (created_at, then save order); at most limit rows.
  void list_sessions(int limit, std::function<void(std::vector<SessionRow>)> done);

  // Extension points for features that keep their own row code (errors, watches, profiles):
  // `run` executes on the store thread. write: inside the batch transaction, in its own
  // SAVEPOINT; it throws to fail (done gets storage_error with the message), and `done` is
  // called after COMMIT. read: alone, between batches; it must catch its own exceptions.
  void write(std::function<void(StatementCache&)> run, std::function<void(Result<void>)> done);
  // Runs inside the write that saves a session row (either save_session), after the row: what
  // it writes commits or rolls back with the row (the fleet's outbox, coordinator/fleet/).
  // Set before sessions are saved.
  using SessionSavedHook = std::function<void(StatementCache&, const std::string& id, const std::string& status)>;
  void set_session_saved_hook(SessionSavedHook hook);
  void read(std::function<void(StatementCache&)> run);

  struct Counts {
    int64_t sessions, snapshots, threads, stacks;
  };
  void counts(std::function<void(Counts)> done);

  // Blocks until everything queued so far is committed and answered (tests, shutdown). Throws
  // std::logic_error when called on the store thread (from a `done`): it would wait for itself.
  void flush();

  // Bounds the known-stacks map (snapshot_rows.hpp) on the store thread; then gives freed heap
  // back to the kernel (malloc_trim), since the point of shrinking is a smaller RSS.
  void set_known_stacks_capacity(std::size_t entries);

  // Jobs waiting (for /metrics and /stats: a growing queue means the disk cannot keep up).
  std::size_t queue_depth() const;
  // Writes committed and COMMITs done since open: their ratio is the batching factor.
  struct Totals {
    uint64_t writes_committed, writes_failed, commits;
  };
  Totals totals() const;

 private:
  std::shared_ptr<const SessionSavedHook> session_saved_hook() const;
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dbg::coord::store
