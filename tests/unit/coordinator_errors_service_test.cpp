// ErrorService on a real Store (a SQLite file in a temporary directory) and a real Hub:
// grouping and counts, regressions, ignored groups, the bounded cache and history, restart,
// coalesced hub events, and a failed write that must count nothing.
#define BOOST_TEST_MODULE coordinator_errors_service
#include <boost/test/unit_test.hpp>

#include <map>

#include <sqlite3.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "coordinator/errors/error_service.hpp"
#include "coordinator/events/hub.hpp"
#include "coordinator/store/store.hpp"

using namespace dbg::coord;
using namespace dbg::coord::errors;
using nlohmann::json;

namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern = std::filesystem::temp_directory_path() / "dbg-errors-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

// Collects every published event (delivered with the hub's lock held: only queue here).
class Collector : public events::Subscriber {
 public:
  void deliver(std::shared_ptr<const std::string> message) override {
    std::lock_guard lock(mutex_);
    messages_.push_back(json::parse(*message));
    changed_.notify_all();
  }
  bool wants(std::string_view topic) const override { return topic == "errors"; }
  std::vector<json> messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  // Waits until pred(messages) holds; false after a generous deadline (a failure, not a timing).
  template <typename Pred>
  bool wait_for(Pred pred) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(30), [&] { return pred(messages_); });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<json> messages_;
};

// A store, a hub, an io_context on its own thread (the publish timer), and the service.
struct Fixture {
  TempDir dir;
  std::unique_ptr<store::Store> store;
  std::shared_ptr<events::Hub> hub = std::make_shared<events::Hub>();
  std::shared_ptr<Collector> collector = std::make_shared<Collector>();
  boost::asio::io_context ioc;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{ioc.get_executor()};
  std::thread io_thread;
  std::unique_ptr<ErrorService> service;
  ErrorServiceConfig config;

  explicit Fixture(ErrorServiceConfig c = {}) : config(c) {
    hub->subscribe(collector);
    io_thread = std::thread([this] { ioc.run(); });
    open();
  }
  ~Fixture() {
    service.reset();
    store.reset();
    work.reset();
    ioc.stop();
    io_thread.join();
  }
  std::filesystem::path db_file() const { return dir.path / "dbgcoord.db"; }
  void open() {
    store = store::Store::open(db_file());
    service = std::make_unique<ErrorService>(*store, hub, ioc.get_executor(), config);
  }
  void restart() {
    service.reset();
    store.reset();
    open();
  }

  dbg::Result<std::vector<int64_t>> record(std::vector<ErrorEvent> events) {
    std::promise<dbg::Result<std::vector<int64_t>>> p;
    auto f = p.get_future();
    service->record_batch(std::move(events), [&p](dbg::Result<std::vector<int64_t>> r) { p.set_value(std::move(r)); });
    return f.get();
  }
  // POST /api/v1/errors/events's way in: parsed on the service's thread, with its stack memo.
  dbg::Result<std::vector<int64_t>> record_body(std::string body) {
    std::promise<dbg::Result<std::vector<int64_t>>> p;
    auto f = p.get_future();
    service->record_body(std::move(body), [&p](dbg::Result<std::vector<int64_t>> r) { p.set_value(std::move(r)); });
    return f.get();
  }
  std::vector<int64_t> record_ok(std::vector<ErrorEvent> events) {
    auto r = record(std::move(events));
    BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    return r.value();
  }
  json list(GroupFilter filter = {}) {
    std::promise<dbg::Result<json>> p;
    auto f = p.get_future();
    service->list_groups(filter, [&p](dbg::Result<json> r) { p.set_value(std::move(r)); });
    auto r = f.get();
    BOOST_REQUIRE(r.ok());
    return r.value().at("groups");
  }
  dbg::Result<json> get(int64_t id) {
    std::promise<dbg::Result<json>> p;
    auto f = p.get_future();
    service->get_group(id, 20, [&p](dbg::Result<json> r) { p.set_value(std::move(r)); });
    return f.get();
  }
  dbg::Result<json> set_status(int64_t id, GroupStatus s) {
    std::promise<dbg::Result<json>> p;
    auto f = p.get_future();
    service->set_status(id, s, [&p](dbg::Result<json> r) { p.set_value(std::move(r)); });
    return f.get();
  }
};

dbg::Frame frame(const std::string& function, const std::string& module = "app", uint64_t offset = 0x100) {
  dbg::Frame f;
  f.function = function;
  f.module = module;
  f.offset = offset;
  return f;
}

ErrorEvent crash(const std::string& site, const std::string& type = "SIGSEGV/SEGV_MAPERR") {
  ErrorEvent e;
  e.source = "watch";
  e.kind = "crash";
  e.type = type;
  e.message = "null pointer dereference";
  e.pid = 4242;
  e.comm = "app";
  e.frames = {frame(site), frame("main")};
  e.context = json{{"fault_address", "0x0"}};
  return e;
}

std::vector<ErrorEvent> copies(const ErrorEvent& e, int n) { return std::vector<ErrorEvent>(static_cast<std::size_t>(n), e); }

// Rows in the SQLite file, read with a connection of our own.
int64_t count_rows(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  BOOST_REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
  int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

void exec_sql(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  sqlite3_busy_timeout(db, 10000);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string message = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  BOOST_REQUIRE_MESSAGE(rc == SQLITE_OK, sql << ": " << message);
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_same_error_fifty_times_is_one_group_of_fifty) {
  Fixture fx;
  std::vector<int64_t> ids;
  for (int i = 0; i < 50; ++i) {
    auto e = crash("app::parse(char const*)");
    e.frames[0].offset += static_cast<uint64_t>(i);  // other build addresses: same function
    auto r = fx.record_ok({e});
    ids.push_back(r.at(0));
  }
  BOOST_TEST(std::count(ids.begin(), ids.end(), ids.front()) == 50);
  auto groups = fx.list();
  BOOST_REQUIRE_EQUAL(groups.size(), 1u);
  BOOST_TEST(groups[0].at("count").get<int>() == 50);
  BOOST_TEST(groups[0].at("status") == "open");
  BOOST_TEST(groups[0].at("type") == "SIGSEGV/SEGV_MAPERR");
  BOOST_TEST(groups[0].at("class").is_null());
  BOOST_TEST(groups[0].at("confidence").is_null());
  BOOST_TEST(groups[0].at("signature").get<std::string>().size() == 32u);
  BOOST_TEST(count_rows(fx.db_file(), "SELECT count(*) FROM error_events") == 50);
  BOOST_TEST(count_rows(fx.db_file(), "SELECT count FROM error_groups") == 50);
}

BOOST_AUTO_TEST_CASE(two_sites_are_two_groups_and_a_batch_is_grouped_per_event) {
  Fixture fx;
  std::vector<ErrorEvent> batch;
  for (int i = 0; i < 10; ++i) batch.push_back(crash(i % 2 ? "site_a" : "site_b"));
  auto ids = fx.record_ok(batch);
  BOOST_REQUIRE_EQUAL(ids.size(), 10u);
  BOOST_TEST(ids[0] != ids[1]);
  for (std::size_t i = 2; i < ids.size(); ++i) BOOST_TEST(ids[i] == ids[i % 2]);
  auto groups = fx.list();
  BOOST_REQUIRE_EQUAL(groups.size(), 2u);
  BOOST_TEST(groups[0].at("count").get<int>() == 5);
  BOOST_TEST(groups[1].at("count").get<int>() == 5);
}

BOOST_AUTO_TEST_CASE(a_resolved_group_that_recurs_is_reopened_as_a_regression) {
  Fixture fx;
  auto id = fx.record_ok({crash("site")}).at(0);
  auto resolved = fx.set_status(id, GroupStatus::resolved);
  BOOST_REQUIRE(resolved.ok());
  BOOST_TEST(resolved.value().at("status") == "resolved");
  BOOST_TEST(fx.record_ok({crash("site")}).at(0) == id);
  auto group = fx.get(id);
  BOOST_REQUIRE(group.ok());
  BOOST_TEST(group.value().at("status") == "open");
  BOOST_TEST(group.value().at("regressions").get<int>() == 1);
  BOOST_TEST(group.value().at("count").get<int>() == 2);
  BOOST_TEST(group.value().at("events").size() == 2u);
  BOOST_TEST(group.value().at("events")[0].at("context").at("fault_address") == "0x0");
  BOOST_TEST(fx.collector->wait_for([&](const std::vector<json>& m) {
    return std::any_of(m.begin(), m.end(), [&](const json& e) { return e.at("type") == "group_reopened" && e.at("data").at("id") == id; });
  }));
}

BOOST_AUTO_TEST_CASE(an_ignored_group_keeps_counting_and_stays_ignored) {
  Fixture fx;
  auto id = fx.record_ok({crash("site")}).at(0);
  BOOST_REQUIRE(fx.set_status(id, GroupStatus::ignored).ok());
  fx.record_ok({crash("site"), crash("site")});
  auto group = fx.get(id).value();
  BOOST_TEST(group.at("status") == "ignored");
  BOOST_TEST(group.at("count").get<int>() == 3);
  BOOST_TEST(group.at("regressions").get<int>() == 0);
  GroupFilter only_open;
  only_open.status = GroupStatus::open;
  BOOST_TEST(fx.list(only_open).empty());
}

BOOST_AUTO_TEST_CASE(unknown_group_is_not_found) {
  Fixture fx;
  auto r = fx.get(12345);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code == "not_found");
  auto s = fx.set_status(12345, GroupStatus::resolved);
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.error().code == "not_found");
}

BOOST_AUTO_TEST_CASE(groups_beyond_the_cache_are_read_back_and_counted_right) {
  ErrorServiceConfig config;
  config.cached_groups = 2;
  Fixture fx(config);
  // Five groups in rotation through a cache of two: every round evicts and reads back.
  for (int round = 0; round < 4; ++round) {
    for (int g = 0; g < 5; ++g) fx.record_ok({crash("site_" + std::to_string(g))});
  }
  auto groups = fx.list();
  BOOST_REQUIRE_EQUAL(groups.size(), 5u);
  for (const auto& g : groups) BOOST_TEST(g.at("count").get<int>() == 4);
  auto stats = fx.service->stats();
  BOOST_TEST(stats.cached_groups <= 2u);
  BOOST_TEST(stats.cache_misses >= 15u);
}

BOOST_AUTO_TEST_CASE(history_is_bounded_and_newest_first) {
  ErrorServiceConfig config;
  config.history_events = 10;
  Fixture fx(config);
  for (int i = 0; i < 25; ++i) {
    auto e = crash("site");
    e.message = "occurrence " + std::to_string(i);
    fx.record_ok({e});
  }
  auto recent = fx.service->recent_events(100);
  BOOST_REQUIRE_EQUAL(recent.size(), 10u);
  BOOST_TEST(recent[0].at("message") == "occurrence 24");
  BOOST_TEST(recent[9].at("message") == "occurrence 15");
  BOOST_TEST(!recent[0].contains("context"));  // memory keeps no context
  // The group's latest events from SQLite: the newest 20 of 25, newest first, chained by group.
  auto group = fx.get(recent[0].at("group_id").get<int64_t>()).value();
  const auto& events = group.at("events");
  BOOST_REQUIRE_EQUAL(events.size(), 20u);
  for (std::size_t i = 0; i < events.size(); ++i) {
    BOOST_TEST(events[i].at("message") == "occurrence " + std::to_string(24 - i));
  }
}

BOOST_AUTO_TEST_CASE(groups_survive_a_restart_and_keep_counting) {
  Fixture fx;
  auto id = fx.record_ok(copies(crash("site"), 7)).at(0);
  BOOST_REQUIRE(fx.set_status(id, GroupStatus::resolved).ok());
  fx.restart();
  auto groups = fx.list();
  BOOST_REQUIRE_EQUAL(groups.size(), 1u);
  BOOST_TEST(groups[0].at("id").get<int64_t>() == id);
  BOOST_TEST(groups[0].at("count").get<int>() == 7);
  BOOST_TEST(groups[0].at("status") == "resolved");
  BOOST_TEST(fx.service->recent_events(100).size() == 7u);  // history warmed from SQLite
  // The same error after the restart: same group, counted on, and a regression.
  BOOST_TEST(fx.record_ok({crash("site")}).at(0) == id);
  auto group = fx.get(id).value();
  BOOST_TEST(group.at("count").get<int>() == 8);
  BOOST_TEST(group.at("status") == "open");
}

BOOST_AUTO_TEST_CASE(messages_are_cut_at_500_characters_not_bytes) {
  Fixture fx;
  auto e = crash("site");
  e.message.clear();
  for (int i = 0; i < 600; ++i) e.message += "\xc3\xa9";  // é, two bytes each
  auto id = fx.record_ok({e}).at(0);
  auto message = fx.get(id).value().at("message").get<std::string>();
  BOOST_TEST(message.size() == 1000u);
}

BOOST_AUTO_TEST_CASE(hub_events_are_coalesced_and_carry_the_final_counts) {
  Fixture fx;
  int64_t id = 0;
  for (int batch = 0; batch < 20; ++batch) id = fx.record_ok(copies(crash("site"), 50)).at(0);
  // Wait until an announcement carries the final count.
  auto final_count = [&](const std::vector<json>& m) {
    for (const auto& e : m) {
      for (const auto& g : e.at("data").value("groups", json::array())) {
        if (g.at("id") == id && g.at("count") == 1000) return true;
      }
    }
    return false;
  };
  BOOST_REQUIRE(fx.collector->wait_for(final_count));
  auto messages = fx.collector->messages();
  int created = 0;
  for (const auto& m : messages) {
    BOOST_TEST(m.at("topic") == "errors");
    if (m.at("type") == "groups_created") created += static_cast<int>(m.at("data").at("groups").size());
  }
  BOOST_TEST(created == 1);
  // 1,000 count changes, far fewer hub events (at most one per batch, usually a handful).
  BOOST_TEST(messages.size() <= 21u);
}

BOOST_AUTO_TEST_CASE(a_failed_write_stores_and_counts_nothing) {
  Fixture fx;
  auto id = fx.record_ok({crash("site")}).at(0);
  // Break the table under the store's feet with another connection: the next write fails.
  exec_sql(fx.db_file(), "ALTER TABLE error_events RENAME TO error_events_away");
  auto r = fx.record({crash("site"), crash("site")});
  BOOST_REQUIRE(!r.ok());
  exec_sql(fx.db_file(), "ALTER TABLE error_events_away RENAME TO error_events");
  // The failed events were not counted in memory either: the next one makes 2, not 4.
  BOOST_TEST(fx.record_ok({crash("site")}).at(0) == id);
  BOOST_TEST(fx.get(id).value().at("count").get<int>() == 2);
  BOOST_TEST(count_rows(fx.db_file(), "SELECT count(*) FROM error_events") == 2);
  BOOST_TEST(fx.service->stats().events_failed == 2u);
}

// Bodies repeat frames texts: the parse thread prepares each text once (prepared_stack.hpp) and
// later events share it. What is stored and grouped must not depend on whether a text was
// known: a repeat within a body, a repeat in a later body, the same frames spelled with other
// whitespace (another text, the same frames), and the same frames under another error class.
BOOST_AUTO_TEST_CASE(bodies_that_repeat_frames_texts_are_grouped_and_stored_as_if_each_was_parsed) {
  Fixture fx;
  const std::string f1 = R"j([{"function":"__cxa_throw","module":"libstdc++.so.6"},{"function":"parse(char const*)","module":"app","offset":"0x10","line":7},{"function":"main","module":"app"}])j";
  const std::string f1_spaced = R"j([ {"function":"__cxa_throw","module":"libstdc++.so.6"},{"function":"parse(char const*)","module":"app","offset":"0x10","line":7},{"function":"main","module":"app"}])j";
  const std::string f2 = R"([{"function":"load","module":"app"},{"function":"main","module":"app"}])";
  auto event = [](const std::string& type, const std::string& frames) {
    return R"({"type":")" + type + R"(","message":"m","frames":)" + frames + "}";
  };
  auto first = fx.record_body(R"({"events":[)" + event("E", f1) + "," + event("E", f2) + "," + event("E", f1) + "]}");
  BOOST_REQUIRE(first.ok());
  const auto& a = first.value();
  BOOST_TEST(a[0] == a[2]);
  BOOST_TEST(a[0] != a[1]);
  auto second = fx.record_body(R"({"events":[)" + event("E", f1) + "," + event("E", f1_spaced) + "," +
                               event("OtherError", f1) + "]}");
  BOOST_REQUIRE(second.ok());
  const auto& b = second.value();
  BOOST_TEST(b[0] == a[0]);
  BOOST_TEST(b[1] == a[0]);  // other bytes, same frames: same group
  BOOST_TEST(b[2] != a[0]);  // the class is part of the signature, memo or not
  BOOST_TEST(fx.get(a[0]).value().at("count").get<int>() == 4);
  BOOST_TEST(fx.get(b[2]).value().at("count").get<int>() == 1);
  // One stack row per distinct frames list, and every event points at one that exists.
  BOOST_TEST(count_rows(fx.db_file(), "SELECT count(*) FROM error_stacks") == 2);
  BOOST_TEST(count_rows(fx.db_file(), "SELECT count(*) FROM error_events e JOIN error_stacks s ON s.id = e.stack_id") == 6);
  // The frames served are the frames sent, for a known text as for a parsed one.
  auto group = fx.get(b[2]).value();
  BOOST_TEST(group.at("signature_frames") == json::parse(R"(["app!parse","app!main"])"));
  const auto& frames = group.at("events").at(0).at("frames");
  BOOST_REQUIRE_EQUAL(frames.size(), 3u);
  BOOST_TEST(frames[1].at("function") == "parse(char const*)");
  BOOST_TEST(frames[1].at("line") == 7);
}

// A stack first stored by a write that is rolled back is gone from SQLite; the memo still knows
// the text, and the next event with it must store the stack again, not point at the lost row.
BOOST_AUTO_TEST_CASE(a_stack_first_stored_by_a_failed_write_is_stored_again_by_the_next) {
  Fixture fx;
  fx.record_ok({crash("elsewhere")});
  const std::string body = R"({"type":"E","frames":[{"function":"fresh_site","module":"app"}]})";
  exec_sql(fx.db_file(), "ALTER TABLE error_events RENAME TO error_events_away");
  BOOST_REQUIRE(!fx.record_body(body).ok());
  exec_sql(fx.db_file(), "ALTER TABLE error_events_away RENAME TO error_events");
  auto r = fx.record_body(body);
  BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  BOOST_TEST(count_rows(fx.db_file(), "SELECT count(*) FROM error_events e JOIN error_stacks s ON s.id = e.stack_id") == 2);
  auto group = fx.get(r.value().at(0)).value();
  BOOST_TEST(group.at("count").get<int>() == 1);
  BOOST_TEST(group.at("events").at(0).at("frames").at(0).at("function") == "fresh_site");
}

BOOST_AUTO_TEST_CASE(recorder_for_producers_stores_events) {
  Fixture fx;
  auto recorder = fx.service->recorder();
  for (int i = 0; i < 3; ++i) recorder(crash("watched_site"));
  fx.store->flush();
  auto groups = fx.list();
  BOOST_REQUIRE_EQUAL(groups.size(), 1u);
  BOOST_TEST(groups[0].at("count").get<int>() == 3);
}

// Group rows are written lazily (error_service.hpp): a kill -9 can leave them behind the
// committed events. Simulated here by rewinding the rows and the fold watermark in the file
// between two runs; the next start must fold the events back, exactly.
BOOST_AUTO_TEST_CASE(group_rows_behind_their_events_are_caught_up_at_start) {
  Fixture fx;
  const auto a = fx.record_ok(copies(crash("app::a()"), 30)).at(0);
  const auto b = fx.record_ok(copies(crash("app::b()"), 20)).at(0);
  fx.service.reset();
  fx.store.reset();
  // A: never written after creation. B: written once after its 5th event (a flush on eviction).
  const int64_t b_fifth = count_rows(fx.db_file(), "SELECT id FROM error_events WHERE group_id = " + std::to_string(b) +
                                                       " ORDER BY id LIMIT 1 OFFSET 4");
  exec_sql(fx.db_file(), "UPDATE error_groups SET count = 0, last_event_id = NULL WHERE id = " + std::to_string(a) +
                             "; UPDATE error_groups SET count = 5, last_event_id = " + std::to_string(b_fifth) +
                             " WHERE id = " + std::to_string(b) +
                             "; UPDATE meta SET value = '0' WHERE key = 'error_events_folded_through'");
  fx.open();
  auto groups = fx.list();
  BOOST_REQUIRE_EQUAL(groups.size(), 2u);
  std::map<int64_t, int64_t> counts;
  for (const auto& g : groups) counts[g.at("id").get<int64_t>()] = g.at("count").get<int64_t>();
  BOOST_TEST(counts[a] == 30);
  BOOST_TEST(counts[b] == 20);
  // The chain starts at the group's real latest event again.
  auto group_a = fx.get(a);
  BOOST_REQUIRE(group_a.ok());
  BOOST_TEST(group_a.value().at("events").size() == 20u);  // get() asks for the latest 20
  BOOST_TEST(count_rows(fx.db_file(), "SELECT max(id) FROM error_events WHERE group_id = " + std::to_string(a)) ==
             group_a.value().at("events").at(0).at("id").get<int64_t>());
  // Counting goes on from there, and new events get ids above every folded one.
  fx.record_ok(copies(crash("app::a()"), 3));
  fx.restart();
  for (const auto& g : fx.list()) {
    if (g.at("id").get<int64_t>() == a) BOOST_TEST(g.at("count").get<int64_t>() == 33);
  }
  BOOST_TEST(count_rows(fx.db_file(), "SELECT count(*) FROM error_events") == 53);
  BOOST_TEST(count_rows(fx.db_file(), "SELECT sum(count) FROM error_groups") == 53);
  BOOST_TEST(count_rows(fx.db_file(), "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'error_events_folded_through'") ==
             count_rows(fx.db_file(), "SELECT max(id) FROM error_events"));
}

// The rows are exact whenever the service is asked (reads flush first), not only after a restart.
BOOST_AUTO_TEST_CASE(reads_see_exact_rows_while_ingest_runs_ahead_of_them) {
  Fixture fx;
  const auto a = fx.record_ok(copies(crash("app::a()"), 7)).at(0);
  fx.record_ok(copies(crash("app::a()"), 5));
  auto group = fx.get(a);
  BOOST_REQUIRE(group.ok());
  BOOST_TEST(group.value().at("count").get<int64_t>() == 12);
  // After the read, the file itself agrees (the flush was committed with it).
  BOOST_TEST(count_rows(fx.db_file(), "SELECT count FROM error_groups WHERE id = " + std::to_string(a)) == 12);
}
