#include "coordinator/store/store.hpp"

#include <malloc.h>
#include <pthread.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <type_traits>

#include "coordinator/logging/log.hpp"
#include "coordinator/store/database.hpp"
#include "coordinator/store/migrations.hpp"
#include "coordinator/store/session_rows.hpp"
#include "coordinator/store/snapshot_rows.hpp"
#include "coordinator/store/statement.hpp"
#include "coordinator/store/store_error.hpp"
#include "dbg/clock.hpp"

namespace dbg::coord::store {

namespace {

// A batch stops taking more writes after this long, so a flood of writes cannot hold one
// transaction (and every acknowledgement in it) open indefinitely.
constexpr auto kMaxBatchTime = std::chrono::milliseconds(5);

constexpr const char* kErrorCode = "storage_error";

// A full disk is not a bug: the API answers 507 with a reason the operator can act on
// (api/errors.cpp), and the writes succeed again once space returns (SQLite rolls back what it
// could not write; nothing half-written is committed). Every other failure stays storage_error.
Error storage_error(const std::exception& e) {
  const auto* store_error = dynamic_cast<const StoreError*>(&e);
  if (store_error && (store_error->sqlite_code() & 0xff) == SQLITE_FULL) {
    return Error{"disk_full", std::string("disk full: the file system holding the database has no space left (") + e.what() + ")"};
  }
  return Error{kErrorCode, e.what()};
}

// A read that answers an empty result (no row, no rows) when it fails, after log_failure wrote
// why: each caller passes its own log line, so each read stays a distinct message (log.hpp).
template <typename Select, typename Done, typename LogFailure>
std::function<void(StatementCache&)> logged_read(Select select, Done done, LogFailure log_failure) {
  return [select = std::move(select), done = std::move(done), log_failure = std::move(log_failure)](StatementCache& sql) {
    std::invoke_result_t<Select&, StatementCache&> out{};
    try {
      out = select(sql);
    } catch (const std::exception& e) {
      log_failure(e);
    }
    done(std::move(out));
  };
}

struct Job {
  enum class Kind { write, other };
  Kind kind = Kind::other;
  // write: runs inside the batch transaction, in its own savepoint; throws to fail.
  // other (reads, flush barriers): runs alone between batches and answers its caller itself.
  std::function<void(StatementCache&)> run;
  // write only: called after the batch's COMMIT, with nullopt on success.
  std::function<void(std::optional<Error>)> settle;
};

}  // namespace

struct Store::Impl {
  explicit Impl(Database database) : db(std::move(database)) {}

  std::mutex hook_mutex;
  std::shared_ptr<const SessionSavedHook> session_hook;  // under hook_mutex

  void enqueue(Job job) {
    {
      std::lock_guard lock(mutex);
      queue.push_back(std::move(job));
    }
    wake.notify_one();
  }

  void enqueue_write(std::function<void(StatementCache&)> run, std::function<void(std::optional<Error>)> settle) {
    enqueue(Job{Job::Kind::write, std::move(run), std::move(settle)});
  }

  void enqueue_other(std::function<void(StatementCache&)> run) { enqueue(Job{Job::Kind::other, std::move(run), {}}); }

  void loop();
  void run_other(Job& job);
  void run_batch(Job first);
  std::optional<Error> apply(Job& job);
  bool in_transaction() { return sqlite3_get_autocommit(db.handle()) == 0; }

  // Declared in this order so the statements are finalized before the connection closes.
  Database db;
  StatementCache sql{db};

  mutable std::mutex mutex;
  std::condition_variable wake;
  std::deque<Job> queue;
  bool stopping = false;
  std::thread thread;

  std::atomic<uint64_t> writes_committed{0}, writes_failed{0}, commits{0};
  KnownStacks known_stacks;  // store thread only; cleared on every rollback
};

void Store::Impl::loop() {
  pthread_setname_np(pthread_self(), "dbg-store");
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex);
      wake.wait(lock, [&] { return stopping || !queue.empty(); });
      // Stopping still drains: the destructor promises that queued writes are committed.
      if (queue.empty()) return;
      job = std::move(queue.front());
      queue.pop_front();
    }
    if (job.kind == Job::Kind::write) {
      run_batch(std::move(job));
    } else {
      run_other(job);
    }
  }
}

void Store::Impl::run_other(Job& job) {
  try {
    job.run(sql);
  } catch (const std::exception& e) {
    // Reads catch their own database errors; what arrives here came from a caller's callback.
    DBG_LOG_ERROR("store: callback failed: {}", e.what());
  }
}

std::optional<Error> Store::Impl::apply(Job& job) {
  sql.get("SAVEPOINT store_write")->run();
  try {
    job.run(sql);
    sql.get("RELEASE store_write")->run();
    return std::nullopt;
  } catch (const std::exception& e) {
    Error failure = storage_error(e);
    known_stacks.clear();  // this write's new stacks are rolled back
    try {
      sql.get("ROLLBACK TO store_write")->run();
      sql.get("RELEASE store_write")->run();
    } catch (const std::exception& rollback) {
      // Some errors (disk full, I/O) make SQLite roll the whole transaction back by itself; the
      // caller notices through in_transaction(). Otherwise this write's half may still be in the
      // transaction: fail the whole batch rather than commit it.
      if (in_transaction()) throw StoreError("rolling back a failed write: " + std::string(rollback.what()));
    }
    DBG_LOG_WARN("store: write failed and was rolled back alone: {}", failure.message);
    return failure;
  }
}

void Store::Impl::run_batch(Job first) {
  std::vector<Job> batch;
  std::vector<std::optional<Error>> outcomes;
  batch.push_back(std::move(first));

  std::optional<Error> batch_error;
  try {
    Transaction transaction(db);
    const auto started = std::chrono::steady_clock::now();
    outcomes.push_back(apply(batch.back()));
    while (batch.size() < kMaxBatchJobs && std::chrono::steady_clock::now() - started < kMaxBatchTime) {
      if (outcomes.back() && !in_transaction()) break;
      {
        std::lock_guard lock(mutex);
        // A read or barrier ends the batch: it must see (and wait for) the writes before it.
        if (queue.empty() || queue.front().kind != Job::Kind::write) break;
        batch.push_back(std::move(queue.front()));
        queue.pop_front();
      }
      outcomes.push_back(apply(batch.back()));
    }
    if (outcomes.back() && !in_transaction()) {
      batch_error = Error{outcomes.back()->code, "transaction rolled back by the database: " + outcomes.back()->message};
    } else {
      transaction.commit();
      commits.fetch_add(1, std::memory_order_relaxed);
    }
  } catch (const std::exception& e) {
    // BEGIN or COMMIT failed (the Transaction's destructor rolled back): nothing of this batch
    // is in the database.
    batch_error = storage_error(e);
  }
  if (batch_error) {
    known_stacks.clear();  // the whole batch, its new stacks included, is rolled back
    DBG_LOG_ERROR("store: {} write(s) failed: {}", batch.size(), batch_error->message);
  }

  for (std::size_t i = 0; i < batch.size(); ++i) {
    std::optional<Error> outcome = batch_error ? batch_error : outcomes[i];
    (outcome ? writes_failed : writes_committed).fetch_add(1, std::memory_order_relaxed);
    try {
      batch[i].settle(std::move(outcome));
    } catch (const std::exception& e) {
      DBG_LOG_ERROR("store: callback failed: {}", e.what());
    }
  }
}

std::unique_ptr<Store> Store::open(const std::filesystem::path& db_file) {
  auto db = Database::open(db_file);
  migrate(db, embedded_migrations());
  // FULL (SQLite's compiled default, set here so no build option can weaken it): an
  // acknowledged write survives a power cut, not only a process crash. Batched commits keep the
  // fsync cost per COMMIT, not per write.
  db.exec("PRAGMA synchronous=FULL");
  auto impl = std::make_unique<Impl>(std::move(db));
  auto* raw = impl.get();
  impl->thread = std::thread([raw] { raw->loop(); });
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::~Store() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_one();
  impl_->thread.join();
}

void Store::save_snapshot(std::string session_id, dbg::Snapshot snapshot, std::function<void(Result<int64_t>)> done) {
  auto id = std::make_shared<int64_t>(0);
  const int64_t taken_at = unix_time_ms();
  impl_->enqueue_write(
      [impl = impl_.get(), id, taken_at, session_id = std::move(session_id),
       snapshot = std::move(snapshot)](StatementCache& sql) {
        *id = insert_snapshot(sql, session_id, taken_at, snapshot, &impl->known_stacks);
      },
      [id, done = std::move(done)](std::optional<Error> error) {
        if (error) {
          done(std::move(*error));
        } else {
          done(*id);
        }
      });
}

void Store::load_snapshot(int64_t id, std::function<void(std::optional<StoredSnapshot>)> done) {
  impl_->enqueue_other(logged_read([id](StatementCache& sql) { return select_snapshot(sql, id); }, std::move(done),
                                   [id](const std::exception& e) {
                                     DBG_LOG_ERROR("store: loading snapshot {}: {}", id, e.what());
                                   }));
}

void Store::save_session(SessionRow row, std::function<void(Result<void>)> done) {
  const int64_t updated_at = unix_time_ms();
  write(
      [updated_at, row = std::move(row), hook = session_saved_hook()](StatementCache& sql) {
        upsert_session(sql, row, updated_at);
        if (hook) (*hook)(sql, row.id, row.status);
      },
      std::move(done));
}

void Store::save_session(SessionTextRow row, std::function<void(Result<void>)> done) {
  const int64_t updated_at = unix_time_ms();
  write(
      [updated_at, row = std::move(row), hook = session_saved_hook()](StatementCache& sql) {
        upsert_session(sql, row, updated_at);
        if (hook) (*hook)(sql, row.id, row.status);
      },
      std::move(done));
}

void Store::set_session_saved_hook(SessionSavedHook hook) {
  auto h = hook ? std::make_shared<const SessionSavedHook>(std::move(hook)) : nullptr;
  std::lock_guard lock(impl_->hook_mutex);
  impl_->session_hook = std::move(h);
}

std::shared_ptr<const Store::SessionSavedHook> Store::session_saved_hook() const {
  std::lock_guard lock(impl_->hook_mutex);
  return impl_->session_hook;
}

void Store::write(std::function<void(StatementCache&)> run, std::function<void(Result<void>)> done) {
  impl_->enqueue_write(std::move(run), [done = std::move(done)](std::optional<Error> error) {
    if (error) {
      done(std::move(*error));
    } else {
      done(Result<void>());
    }
  });
}

void Store::read(std::function<void(StatementCache&)> run) { impl_->enqueue_other(std::move(run)); }

void Store::load_session(std::string id, std::function<void(std::optional<SessionRow>)> done) {
  impl_->enqueue_other(logged_read([id](StatementCache& sql) { return select_session(sql, id); }, std::move(done),
                                   [id](const std::exception& e) {
                                     DBG_LOG_ERROR("store: loading session {}: {}", id, e.what());
                                   }));
}

void Store::list_sessions(int limit, std::function<void(std::vector<SessionRow>)> done) {
  impl_->enqueue_other(logged_read([limit](StatementCache& sql) { return select_sessions(sql, limit); }, std::move(done),
                                   [](const std::exception& e) { DBG_LOG_ERROR("store: listing sessions: {}", e.what()); }));
}

void Store::counts(std::function<void(Counts)> done) {
  impl_->enqueue_other([done = std::move(done)](StatementCache& sql) {
    Counts out{0, 0, 0, 0};
    try {
      auto count = [&](const char* query) {
        auto statement = sql.get(query);
        return statement->step() ? statement->column_int64(0) : 0;
      };
      out.sessions = count("SELECT count(*) FROM sessions");
      out.snapshots = count("SELECT count(*) FROM snapshots");
      out.threads = count("SELECT count(*) FROM snapshot_threads");
      out.stacks = count("SELECT count(*) FROM stacks");
    } catch (const std::exception& e) {
      DBG_LOG_ERROR("store: counting rows: {}", e.what());
    }
    done(out);
  });
}

void Store::flush() {
  if (std::this_thread::get_id() == impl_->thread.get_id()) {
    throw std::logic_error("Store::flush called on the store thread (from a done callback): it would wait for itself");
  }
  std::promise<void> reached;
  auto future = reached.get_future();
  impl_->enqueue_other([&reached](StatementCache&) { reached.set_value(); });
  future.wait();
}

void Store::set_known_stacks_capacity(std::size_t entries) {
  impl_->enqueue_other([impl = impl_.get(), entries](StatementCache&) {
    impl->known_stacks.set_capacity(entries);
    // SQLite's own page cache gives back too: memory it does not need right now.
    sqlite3_db_release_memory(impl->db.handle());
    ::malloc_trim(0);
  });
}

std::size_t Store::queue_depth() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->queue.size();
}

Store::Totals Store::totals() const {
  return Totals{impl_->writes_committed.load(std::memory_order_relaxed), impl_->writes_failed.load(std::memory_order_relaxed),
                impl_->commits.load(std::memory_order_relaxed)};
}

}  // namespace dbg::coord::store
