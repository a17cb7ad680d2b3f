// Unit tests of the Store (coordinator/store/store.hpp) on real files in a temp directory, with
// a second, plain SQLite connection as the oracle for what is committed.
#define BOOST_TEST_MODULE coordinator_store
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "coordinator/store/migrations.hpp"
#include "coordinator/store/snapshot_rows.hpp"
#include "coordinator/store/store.hpp"
#include "coordinator/store/store_error.hpp"
#include "tests/integration/coordinator_test_client.hpp"

using namespace dbg::coord::store;
using dbg::coord::test::TempDir;

namespace {

// An independent read-only connection, closed on destruction.
class Oracle {
 public:
  explicit Oracle(const std::filesystem::path& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      throw std::runtime_error("cannot open " + path.string());
    }
  }
  ~Oracle() { sqlite3_close(db_); }
  Oracle(const Oracle&) = delete;
  Oracle& operator=(const Oracle&) = delete;

  int64_t integer(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
      throw std::runtime_error("prepare " + sql + ": " + sqlite3_errmsg(db_));
    }
    int64_t out = -1;
    if (sqlite3_step(statement) == SQLITE_ROW) out = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

// Calls start(callback) and waits for the callback's value.
template <typename T, typename Start>
T wait_for(Start start) {
  std::promise<T> promise;
  auto future = promise.get_future();
  start([&promise](T value) { promise.set_value(std::move(value)); });
  return future.get();
}

dbg::Frame frame(std::optional<std::string> function, std::string module, uint64_t offset, uint64_t bias) {
  dbg::Frame f;
  f.function = std::move(function);
  f.module = std::move(module);
  f.offset = offset;
  f.pc = bias + offset;
  return f;
}

// Four threads: 11 and 12 share a stack (at different pcs, as after a different load address),
// 13 has its own, 14 failed without frames.
dbg::Snapshot sample_snapshot(int pid = 4242, uint64_t bias = 0x7f0000000000ULL) {
  dbg::Snapshot s;
  s.pid = pid;
  s.comm = "svc";
  s.consistency = "process";
  s.capture_us = 45.25;
  s.unwind_us = 1234.5;
  s.cache = {3, 1, 40, 2};
  auto shared_stack = [&](uint64_t shift) {
    auto wait = frame("epoll_wait", "libc.so.6", 0xfe2a0, bias + shift);
    auto loop = frame("Server::run()", "svc", 0x1189, bias + 0x100000 + shift);
    loop.file = "server.cpp";
    loop.line = 42;
    auto inl = frame("serve", "svc", 0x1189, bias + 0x100000 + shift);
    inl.inlined = true;
    return std::vector<dbg::Frame>{wait, inl, loop, frame(std::nullopt, "svc", 0x2000, bias + 0x100000 + shift)};
  };
  dbg::ThreadStack a;
  a.tid = 11;
  a.name = "worker-1";
  a.state = 'S';
  a.pause_us = 12.5;
  a.frames = shared_stack(0);
  dbg::ThreadStack b = a;
  b.tid = 12;
  b.name = "worker-2";
  b.pause_us = 9.75;
  b.frames = shared_stack(0x10000);
  dbg::ThreadStack c;
  c.tid = 13;
  c.name = "svc";
  c.state = 'R';
  c.truncated = "max_depth";
  c.frames = {frame("compute", "svc", 0x3000, bias)};
  dbg::ThreadStack d;
  d.tid = 14;
  d.name = "gone";
  d.error = dbg::Error{"thread_gone", "exited during the snapshot"};
  s.threads = {a, b, c, d};
  return s;
}

int64_t save(Store& store, const std::string& session, const dbg::Snapshot& s) {
  auto result = wait_for<dbg::Result<int64_t>>([&](auto done) { store.save_snapshot(session, s, done); });
  BOOST_REQUIRE(result.ok());
  return result.value();
}

Store::Counts counts(Store& store) {
  return wait_for<Store::Counts>([&](auto done) { store.counts(done); });
}

SessionRow session(std::string id, int64_t created_at, std::string status = "queued") {
  nlohmann::json body = {{"id", id}, {"kind", "snapshot"}, {"status", status}, {"batches", nlohmann::json::array()}};
  return SessionRow{std::move(id), "snapshot", std::move(status), created_at, std::move(body)};
}

}  // namespace

BOOST_AUTO_TEST_CASE(open_migrates_to_the_latest_version_and_reopens) {
  TempDir dir;
  auto file = dir.path() / "store.db";
  // Features add migrations (0003_profiles, ...): the store's own tables come with 0002.
  const auto latest = static_cast<int64_t>(embedded_migrations().size());
  BOOST_TEST(latest >= 2);
  { auto store = Store::open(file); }
  { auto store = Store::open(file); }
  Oracle oracle(file);
  BOOST_TEST(oracle.integer("PRAGMA user_version") == latest);
  BOOST_TEST(oracle.integer("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                            "('sessions', 'snapshots', 'snapshot_threads', 'stacks')") == 4);
}

BOOST_AUTO_TEST_CASE(snapshot_round_trips_and_shared_stacks_are_stored_once) {
  TempDir dir;
  auto file = dir.path() / "store.db";
  auto store = Store::open(file);
  auto original = sample_snapshot();
  auto id = save(*store, "s-1", original);

  auto loaded = wait_for<std::optional<StoredSnapshot>>([&](auto done) { store->load_snapshot(id, done); });
  BOOST_REQUIRE(loaded.has_value());
  BOOST_TEST(loaded->id == id);
  BOOST_TEST(loaded->session_id == "s-1");
  BOOST_TEST(loaded->taken_at_ms > 1600000000000LL);
  BOOST_TEST(nlohmann::json(loaded->snapshot).dump() == nlohmann::json(original).dump());

  auto c = counts(*store);
  BOOST_TEST(c.snapshots == 1);
  BOOST_TEST(c.threads == 4);
  BOOST_TEST(c.stacks == 2);  // 11 and 12 share one, 13 has one, 14 has none
  {
    Oracle oracle(file);
    BOOST_TEST(oracle.integer("SELECT count(DISTINCT stack_id) FROM snapshot_threads WHERE tid IN (11, 12)") == 1);
    BOOST_TEST(oracle.integer("SELECT count(*) FROM snapshot_threads WHERE stack_id IS NULL AND error_code = 'thread_gone'") == 1);
  }

  // Another process running the same binary at another load address: no new stacks, and each
  // snapshot keeps its own pcs.
  auto moved = sample_snapshot(4343, 0x7e0000000000ULL);
  auto id2 = save(*store, "s-1", moved);
  BOOST_TEST(counts(*store).stacks == 2);
  auto loaded2 = wait_for<std::optional<StoredSnapshot>>([&](auto done) { store->load_snapshot(id2, done); });
  BOOST_REQUIRE(loaded2.has_value());
  BOOST_TEST(nlohmann::json(loaded2->snapshot).dump() == nlohmann::json(moved).dump());
  auto again = wait_for<std::optional<StoredSnapshot>>([&](auto done) { store->load_snapshot(id, done); });
  BOOST_REQUIRE(again.has_value());
  BOOST_TEST(nlohmann::json(again->snapshot).dump() == nlohmann::json(original).dump());

  auto missing = wait_for<std::optional<StoredSnapshot>>([&](auto done) { store->load_snapshot(id2 + 100, done); });
  BOOST_TEST(!missing.has_value());
}

BOOST_AUTO_TEST_CASE(known_stacks_match_by_content_and_stay_bounded) {
  KnownStacks known;
  dbg::Frame f;
  f.pc = 0x1000;
  f.function = "f";
  f.module = "m";
  f.offset = 0x10;
  std::vector<dbg::Frame> a{f};
  known.remember(7, a, 42);
  auto other_pcs = a;
  other_pcs[0].pc = 0x2000;  // pcs differ between processes (ASLR); the stored stack does not
  BOOST_TEST(known.find(7, other_pcs).value_or(-1) == 42);
  auto different = a;
  different[0].function = "g";  // same hash, different frames: a collision is not a hit
  BOOST_TEST(!known.find(7, different).has_value());
  BOOST_TEST(!known.find(8, a).has_value());
  for (uint64_t h = 100; h < 100 + KnownStacks::kMaxEntries + 5; ++h) known.remember(h, a, 1);
  BOOST_TEST(known.size() <= KnownStacks::kMaxEntries);
}

BOOST_AUTO_TEST_CASE(thread_waits_round_trip_with_and_without_an_owner) {
  TempDir dir;
  auto file = dir.path() / "store.db";
  auto store = Store::open(file);
  auto original = sample_snapshot();
  dbg::ThreadWait owned;
  owned.addr = 0x55d0c8a04068ULL;
  owned.op = 128;
  owned.mutex_owner = 12;
  dbg::ThreadWait unowned;  // a condition variable: a futex word with no owner
  unowned.addr = 0x7ffc00001000ULL;
  unowned.op = 137;
  original.threads.at(0).wait = owned;
  original.threads.at(1).wait = unowned;  // threads 2 and 3 wait on nothing
  auto id = save(*store, "s-w", original);
  auto loaded = wait_for<std::optional<StoredSnapshot>>([&](auto done) { store->load_snapshot(id, done); });
  BOOST_REQUIRE(loaded.has_value());
  BOOST_TEST(nlohmann::json(loaded->snapshot).dump() == nlohmann::json(original).dump());
  BOOST_TEST((loaded->snapshot.threads.at(0).wait == owned));
  BOOST_TEST((loaded->snapshot.threads.at(1).wait == unowned));
  BOOST_TEST(!loaded->snapshot.threads.at(2).wait.has_value());
  Oracle oracle(file);
  BOOST_TEST(oracle.integer("SELECT count(*) FROM snapshot_threads WHERE wait_syscall = 'futex'") == 2);
  BOOST_TEST(oracle.integer("SELECT wait_mutex_owner FROM snapshot_threads WHERE wait_addr = 94355207503976") == 12);
}

BOOST_AUTO_TEST_CASE(empty_snapshot_round_trips) {
  TempDir dir;
  auto store = Store::open(dir.path() / "store.db");
  dbg::Snapshot empty;
  empty.pid = 7;
  auto id = save(*store, "", empty);
  auto loaded = wait_for<std::optional<StoredSnapshot>>([&](auto done) { store->load_snapshot(id, done); });
  BOOST_REQUIRE(loaded.has_value());
  BOOST_TEST(nlohmann::json(loaded->snapshot).dump() == nlohmann::json(empty).dump());
}

BOOST_AUTO_TEST_CASE(sessions_upsert_load_and_list_newest_first) {
  TempDir dir;
  auto store = Store::open(dir.path() / "store.db");
  for (auto row : {session("a", 1000), session("b", 3000), session("c", 2000), session("d", 2000)}) {
    auto r = wait_for<dbg::Result<void>>([&](auto done) { store->save_session(row, done); });
    BOOST_REQUIRE(r.ok());
  }
  // Upsert: a changes status and body; its created_at stays the first one.
  auto updated = session("a", 9999, "done");
  updated.body["total_ms"] = 12;
  BOOST_REQUIRE(wait_for<dbg::Result<void>>([&](auto done) { store->save_session(updated, done); }).ok());

  auto a = wait_for<std::optional<SessionRow>>([&](auto done) { store->load_session("a", done); });
  BOOST_REQUIRE(a.has_value());
  BOOST_TEST(a->status == "done");
  BOOST_TEST(a->kind == "snapshot");
  BOOST_TEST(a->created_at_ms == 1000);
  BOOST_TEST(a->body == updated.body);
  BOOST_TEST(!wait_for<std::optional<SessionRow>>([&](auto done) { store->load_session("nope", done); }).has_value());

  auto list = wait_for<std::vector<SessionRow>>([&](auto done) { store->list_sessions(10, done); });
  std::vector<std::string> ids;
  for (const auto& row : list) ids.push_back(row.id);
  // Equal created_at: the later save first.
  BOOST_TEST(ids == (std::vector<std::string>{"b", "d", "c", "a"}), boost::test_tools::per_element());
  BOOST_TEST(wait_for<std::vector<SessionRow>>([&](auto done) { store->list_sessions(2, done); }).size() == 2u);
  BOOST_TEST(wait_for<std::vector<SessionRow>>([&](auto done) { store->list_sessions(0, done); }).empty());
  BOOST_TEST(counts(*store).sessions == 4);
}

BOOST_AUTO_TEST_CASE(done_is_called_only_after_commit) {
  TempDir dir;
  auto file = dir.path() / "store.db";
  auto store = Store::open(file);
  // Checked from inside the callbacks: at that moment another connection must already see the
  // row, which it can only if the COMMIT happened.
  std::promise<int64_t> seen_snapshot;
  store->save_snapshot("s-1", sample_snapshot(), [&](dbg::Result<int64_t> id) {
    Oracle oracle(file);
    seen_snapshot.set_value(id.ok() ? oracle.integer("SELECT count(*) FROM snapshots WHERE id = " + std::to_string(id.value())) : -2);
  });
  std::promise<int64_t> seen_session;
  store->save_session(session("x", 5), [&](dbg::Result<void> r) {
    Oracle oracle(file);
    seen_session.set_value(r.ok() ? oracle.integer("SELECT count(*) FROM sessions WHERE id = 'x'") : -2);
  });
  BOOST_TEST(seen_snapshot.get_future().get() == 1);
  BOOST_TEST(seen_session.get_future().get() == 1);
}

BOOST_AUTO_TEST_CASE(a_failing_write_fails_alone) {
  TempDir dir;
  auto store = Store::open(dir.path() / "store.db");
  // Invalid UTF-8 makes the body's serialisation throw inside the write.
  auto bad = session("bad", 1);
  bad.body["name"] = std::string("\xff\xfe");
  std::promise<dbg::Result<void>> first, second, third;
  store->save_session(session("ok-1", 1), [&](dbg::Result<void> r) { first.set_value(r); });
  store->save_session(bad, [&](dbg::Result<void> r) { second.set_value(r); });
  store->save_session(session("ok-2", 1), [&](dbg::Result<void> r) { third.set_value(r); });
  BOOST_TEST(first.get_future().get().ok());
  auto failed = second.get_future().get();
  BOOST_REQUIRE(!failed.ok());
  BOOST_TEST(failed.error().code == "storage_error");
  BOOST_TEST(third.get_future().get().ok());
  store->flush();
  BOOST_TEST(counts(*store).sessions == 2);
}

BOOST_AUTO_TEST_CASE(a_thousand_concurrent_saves_are_all_acknowledged) {
  TempDir dir;
  auto file = dir.path() / "store.db";
  auto store = Store::open(file);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 250;
  std::mutex mutex;
  std::set<int64_t> ids;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        store->save_snapshot("s-" + std::to_string(t), sample_snapshot(1000 + t * kPerThread + i), [&](dbg::Result<int64_t> r) {
          if (!r.ok()) {
            ++failures;
            return;
          }
          std::lock_guard lock(mutex);
          ids.insert(r.value());
        });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  store->flush();
  BOOST_TEST(failures.load() == 0);
  {
    std::lock_guard lock(mutex);
    BOOST_TEST(ids.size() == static_cast<std::size_t>(kThreads * kPerThread));
  }
  auto c = counts(*store);
  BOOST_TEST(c.snapshots == kThreads * kPerThread);
  BOOST_TEST(c.threads == 4 * kThreads * kPerThread);
  BOOST_TEST(c.stacks == 2);
  auto totals = store->totals();
  BOOST_TEST(totals.writes_committed == static_cast<uint64_t>(kThreads * kPerThread));
  BOOST_TEST(totals.commits >= 1u);
  BOOST_TEST(totals.commits <= totals.writes_committed);
  BOOST_TEST_MESSAGE("1000 writes in " << totals.commits << " commits");
  Oracle oracle(file);
  BOOST_TEST(oracle.integer("SELECT count(*) FROM snapshots") == kThreads * kPerThread);
}

BOOST_AUTO_TEST_CASE(destructor_drains_queued_writes) {
  TempDir dir;
  auto file = dir.path() / "store.db";
  std::atomic<int> acknowledged{0};
  {
    auto store = Store::open(file);
    for (int i = 0; i < 100; ++i) {
      store->save_snapshot("s", sample_snapshot(i + 1), [&](dbg::Result<int64_t> r) {
        if (r.ok()) ++acknowledged;
      });
      store->save_session(session("s-" + std::to_string(i), i), [&](dbg::Result<void> r) {
        if (r.ok()) ++acknowledged;
      });
    }
    // No flush: the destructor must commit and answer everything.
  }
  BOOST_TEST(acknowledged.load() == 200);
  Oracle oracle(file);
  BOOST_TEST(oracle.integer("SELECT count(*) FROM snapshots") == 100);
  BOOST_TEST(oracle.integer("SELECT count(*) FROM sessions") == 100);
}

BOOST_AUTO_TEST_CASE(flush_from_a_callback_is_refused) {
  TempDir dir;
  auto store = Store::open(dir.path() / "store.db");
  std::promise<bool> refused;
  store->counts([&](Store::Counts) {
    try {
      store->flush();
      refused.set_value(false);
    } catch (const std::logic_error&) {
      refused.set_value(true);
    }
  });
  BOOST_TEST(refused.get_future().get());
}

BOOST_AUTO_TEST_CASE(open_fails_cleanly_on_a_bad_path) {
  BOOST_CHECK_THROW(Store::open("/nonexistent-dir-for-dbgcoord-test/store.db"), StoreError);
}
