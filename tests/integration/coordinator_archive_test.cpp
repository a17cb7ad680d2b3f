// Archives end to end: a real dbgcoord on a loopback port, events POSTed with timestamps older
// than the archive window, archiving run on demand, and the result read back through the API and
// straight from the SQLite file: the archives hold exactly the events they replaced (counts and
// distinct messages), the raw rows are gone, group counts are unchanged and a group's page still
// works. Also merging into an existing archive, the size cap pruning the oldest archives first,
// bad input refused with 4xx and nothing changed, and bad flags refused at start.
#define BOOST_TEST_MODULE coordinator_archive
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sqlite3.h>

#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "coordinator_test_client.hpp"
#include "test_support.hpp"

using namespace dbg::coord::test;
using nlohmann::json;

namespace {

constexpr int64_t kHour = 3'600'000;

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

struct Server {
  std::filesystem::path data_dir;
  Coordinator c;
  std::string token;
  Server(const std::filesystem::path& dir, std::vector<std::string> extra = {})
      : data_dir(dir), c(start(dir, std::move(extra))), token(read_trimmed_file(dir / "token")) {}
  static Coordinator start(const std::filesystem::path& dir, std::vector<std::string> extra) {
    // A day between scheduled runs: only the test's POST /run archives.
    std::vector<std::string> args{"--listen", "127.0.0.1:0", "--data-dir", dir.string(), "--archive-interval", "86400"};
    args.insert(args.end(), extra.begin(), extra.end());
    return start_coordinator(args);
  }
  HttpReply request(const std::string& method, const std::string& target, const std::string& body = {}) {
    HttpConnection conn(c.port);
    std::vector<std::string> headers{"Connection: close", "Authorization: Bearer " + token};
    if (!body.empty()) headers.push_back("Content-Type: application/json");
    conn.send_request(method, target, body, headers);
    auto r = conn.read_response(120s);
    if (!r) throw std::runtime_error("no response to " + method + " " + target);
    return *r;
  }
  json ok_json(const std::string& method, const std::string& target, const std::string& body = {}, int want = 200) {
    auto r = request(method, target, body);
    BOOST_REQUIRE_MESSAGE(r.status == want, method << " " << target << " -> " << r.status << " " << r.body);
    return json::parse(r.body);
  }
  std::vector<int64_t> post_events(const json& events) {
    return ok_json("POST", "/api/v1/errors/events", json{{"events", events}}.dump(), 201).at("group_ids");
  }
  json run_archive() { return ok_json("POST", "/api/v1/archives/run"); }
  void stop() {
    c.process.signal(SIGTERM);
    BOOST_REQUIRE_EQUAL(exit_code_of(c.process.wait(30s)), 0);
  }
};

// One value from the SQLite file, read with our own connection (the oracle).
int64_t db_int(const std::filesystem::path& dir, const std::string& sql) {
  sqlite3* db = nullptr;
  auto file = dir / "dbgcoord.db";
  BOOST_REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  BOOST_REQUIRE_MESSAGE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK, sqlite3_errmsg(db));
  int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

// An event of group `site` (its frames decide the group), at `timestamp`.
json event(const std::string& site, int64_t timestamp, const std::string& message, int pid = 4000) {
  return json{{"type", "std::out_of_range"},
              {"message", message},
              {"timestamp", timestamp},
              {"pid", pid},
              {"comm", "shop"},
              {"frames", json::array({json{{"function", "__cxa_throw"}, {"module", "libstdc++.so.6"}, {"offset", "0xad218"}},
                                      json{{"function", "shop::" + site + "(int)"}, {"module", "shop"}, {"offset", "0x2410"}},
                                      json{{"function", "main"}, {"module", "shop"}, {"offset", "0x3100"}}})},
              {"context", json{{"registers", json{{"rip", "0x55d0c0de2410"}, {"rsp", "0x7ffd1000"}}}, {"request", message}}}};
}

double metric(const std::string& exposition, const std::string& name) {
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  BOOST_FAIL("metric " << name << " not found");
  return -1;
}

// Every archive of a group, summaries included.
std::vector<json> archives_of(Server& s, int64_t group) {
  std::vector<json> out;
  const json list = s.ok_json("GET", "/api/v1/archives?group=" + std::to_string(group) + "&limit=1000");
  for (const auto& a : list.at("archives")) {
    out.push_back(s.ok_json("GET", "/api/v1/archives/" + std::to_string(a.at("id").get<int64_t>())));
  }
  return out;
}

std::map<std::string, int64_t> messages_in(const std::vector<json>& archives) {
  std::map<std::string, int64_t> out;
  for (const auto& a : archives) {
    for (const auto& m : a.at("summary").at("messages").at("values")) out[m.at("message")] += m.at("count").get<int64_t>();
  }
  return out;
}

int64_t events_in(const std::vector<json>& archives) {
  int64_t n = 0;
  for (const auto& a : archives) n += a.at("event_count").get<int64_t>();
  return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(old_events_become_archives_that_hold_exactly_what_they_replaced) {
  TempDir dir;
  Server s(dir.path());
  const int64_t now = now_ms();
  // Group A: 30 old events in one hour window (5 distinct messages), 5 recent ones.
  // Group B: 20 old events in two hour windows, every message distinct.
  const int64_t a_window = (now - 3 * kHour) / kHour * kHour;
  const int64_t b_window1 = (now - 5 * kHour) / kHour * kHour;
  const int64_t b_window2 = (now - 2 * kHour) / kHour * kHour - kHour;  // whole window older than 1 h
  json a_old = json::array(), a_new = json::array(), b_old = json::array();
  std::map<std::string, int64_t> a_messages, b_messages;
  for (int i = 0; i < 30; ++i) {
    std::string m = "index 7 out of range (request " + std::to_string(i % 5) + ")";
    a_old.push_back(event("Cart::at", a_window + 1000 * i, m, 4000 + i % 3));
    ++a_messages[m];
  }
  for (int i = 0; i < 5; ++i) a_new.push_back(event("Cart::at", now + i, "recent " + std::to_string(i)));
  for (int i = 0; i < 20; ++i) {
    std::string m = "b message " + std::to_string(i);
    b_old.push_back(event("Order::pay", (i < 12 ? b_window1 : b_window2) + 60'000 * i, m));
    ++b_messages[m];
  }
  auto a_ids = s.post_events(a_old);
  auto a_new_ids = s.post_events(a_new);
  auto b_ids = s.post_events(b_old);
  const int64_t a = a_ids.at(0), b = b_ids.at(0);
  for (auto id : a_ids) BOOST_REQUIRE_EQUAL(id, a);
  for (auto id : a_new_ids) BOOST_REQUIRE_EQUAL(id, a);
  for (auto id : b_ids) BOOST_REQUIRE_EQUAL(id, b);
  BOOST_REQUIRE_NE(a, b);
  BOOST_REQUIRE_EQUAL(db_int(dir.path(), "SELECT count(*) FROM error_events"), 55);

  auto report = s.run_archive();
  BOOST_TEST(report.at("events_folded") == 50);
  BOOST_TEST(report.at("archives_created") == 3);  // A's window, B's two windows
  BOOST_TEST(report.at("archives_merged") == 0);
  BOOST_TEST(report.at("ratio").get<double>() > 0);
  BOOST_TEST(report.at("archives_pruned") == 0);

  // The archives hold exactly the replaced events: counts and distinct messages.
  auto a_archives = archives_of(s, a);
  BOOST_REQUIRE_EQUAL(a_archives.size(), 1u);
  BOOST_TEST(a_archives[0].at("window_start") == a_window);
  BOOST_TEST(a_archives[0].at("window_end") == a_window + kHour);
  BOOST_TEST(events_in(a_archives) == 30);
  BOOST_TEST((messages_in(a_archives) == a_messages));
  const auto& summary = a_archives[0].at("summary");
  BOOST_TEST(summary.at("event_count") == 30);
  BOOST_TEST(summary.at("first_seen") == a_window);
  BOOST_TEST(summary.at("last_seen") == a_window + 29'000);
  BOOST_TEST(summary.at("samples").size() == 3u);
  BOOST_TEST(summary.at("samples").at(0).at("context").at("registers").at("rip") == "0x55d0c0de2410");
  BOOST_TEST(summary.at("pids").at("distinct") == 3);
  BOOST_TEST(summary.at("types").at("values").at(0).at("type") == "std::out_of_range");
  BOOST_TEST(a_archives[0].at("compressed_bytes").get<int64_t>() > 0);
  BOOST_TEST(a_archives[0].at("raw_bytes").get<int64_t>() == summary.at("raw_bytes").get<int64_t>());

  auto b_archives = archives_of(s, b);
  BOOST_REQUIRE_EQUAL(b_archives.size(), 2u);
  BOOST_TEST(b_archives[0].at("window_start").get<int64_t>() > b_archives[1].at("window_start").get<int64_t>());  // newest first
  BOOST_TEST(events_in(b_archives) == 20);
  BOOST_TEST((messages_in(b_archives) == b_messages));

  // The raw events are gone, the recent ones stay, the groups still count everything.
  BOOST_TEST(db_int(dir.path(), "SELECT count(*) FROM error_events") == 5);
  BOOST_TEST(db_int(dir.path(), "SELECT count(*) FROM error_events WHERE timestamp < " + std::to_string(now - kHour)) == 0);
  BOOST_TEST(db_int(dir.path(), "SELECT sum(event_count) FROM error_archives") == 50);
  BOOST_TEST(db_int(dir.path(), "SELECT count FROM error_groups WHERE id = " + std::to_string(a)) == 35);
  BOOST_TEST(db_int(dir.path(), "SELECT count FROM error_groups WHERE id = " + std::to_string(b)) == 20);
  BOOST_TEST(db_int(dir.path(), "SELECT last_event_id IS NULL FROM error_groups WHERE id = " + std::to_string(b)) == 1);

  // A group's page still works: its latest events stop where the archived ones begin.
  auto ga = s.ok_json("GET", "/api/v1/errors/" + std::to_string(a) + "?events=100");
  BOOST_TEST(ga.at("count") == 35);
  BOOST_REQUIRE_EQUAL(ga.at("events").size(), 5u);
  for (const auto& e : ga.at("events")) BOOST_TEST(e.at("message").get<std::string>().rfind("recent ", 0) == 0);
  auto gb = s.ok_json("GET", "/api/v1/errors/" + std::to_string(b) + "?events=100");
  BOOST_TEST(gb.at("count") == 20);
  BOOST_TEST(gb.at("events").empty());
  // A new event of the fully archived group starts a fresh chain.
  s.post_events(json::array({event("Order::pay", now, "after archiving")}));
  gb = s.ok_json("GET", "/api/v1/errors/" + std::to_string(b) + "?events=100");
  BOOST_TEST(gb.at("count") == 21);
  BOOST_REQUIRE_EQUAL(gb.at("events").size(), 1u);
  BOOST_TEST(gb.at("events").at(0).at("message") == "after archiving");

  // Nothing old left: a second run folds nothing.
  BOOST_TEST(s.run_archive().at("events_folded") == 0);

  // Late events of an archived window are merged into its archive, not a second row.
  s.post_events(json::array({event("Order::pay", b_window1 + 5, "late one"), event("Order::pay", b_window1 + 6, "late one"),
                             event("Order::pay", b_window1 + 7, "b message 0")}));
  report = s.run_archive();
  BOOST_TEST(report.at("events_folded") == 3);
  BOOST_TEST(report.at("archives_created") == 0);
  BOOST_TEST(report.at("archives_merged") == 1);
  b_archives = archives_of(s, b);
  BOOST_REQUIRE_EQUAL(b_archives.size(), 2u);
  BOOST_TEST(events_in(b_archives) == 23);
  b_messages["late one"] += 2;
  b_messages["b message 0"] += 1;
  BOOST_TEST((messages_in(b_archives) == b_messages));
  BOOST_TEST(b_archives[1].at("window_start") == b_window1);
  BOOST_TEST(b_archives[1].at("event_count") == 15);
  BOOST_TEST(b_archives[1].at("summary").at("event_count") == 15);

  // Stats: the compression ratio of the stored archives, the resolution rate of the groups.
  s.ok_json("PATCH", "/api/v1/errors/" + std::to_string(a), R"({"status":"resolved"})");
  auto stats = s.ok_json("GET", "/api/v1/stats");
  BOOST_TEST(stats.at("archive_compression_ratio").get<double>() > 1.0);
  BOOST_TEST(stats.at("error_resolution_rate").get<double>() == 0.5);
  BOOST_TEST(stats.at("archives").at("rows") == 3);
  BOOST_TEST(stats.at("archives").at("events") == 53);
  BOOST_TEST(stats.at("archives").at("last_run").at("events_folded") == 3);

  // Metrics, and promtool accepts the exposition with the archive families moved.
  auto m = s.request("GET", "/metrics").body;
  BOOST_TEST(metric(m, "dbgcoord_archived_events_total") == 53);
  BOOST_TEST(metric(m, "dbgcoord_archive_runs_total") == 3);
  BOOST_TEST(metric(m, "dbgcoord_archives") == 3);
  BOOST_TEST(metric(m, "dbgcoord_archive_raw_bytes_total") > metric(m, "dbgcoord_archive_stored_compressed_bytes"));
  BOOST_TEST(metric(m, "dbgcoord_archives_pruned_total") == 0);
  TempDir tmp;
  std::ofstream(tmp.path() / "metrics.txt") << m;
  auto check = dbg::test::run_command({"/bin/sh", "-c", "promtool check metrics < " + (tmp.path() / "metrics.txt").string()});
  BOOST_TEST(check.exit_code == 0, "promtool: " << check.out << check.err);

  // Everything survives a restart (the archives are rows, not memory).
  s.stop();
  Server again(dir.path());
  BOOST_TEST(events_in(archives_of(again, b)) == 23);
  stats = again.ok_json("GET", "/api/v1/stats");
  BOOST_TEST(stats.at("archives").at("events") == 53);
  BOOST_TEST(stats.at("archive_compression_ratio").get<double>() > 1.0);
  again.stop();
  // At least the archives' migration (0006); later migrations may follow it.
  BOOST_TEST(db_int(dir.path(), "PRAGMA user_version") >= 6);
}

BOOST_AUTO_TEST_CASE(bad_input_is_refused_with_problem_json_and_changes_nothing) {
  TempDir dir;
  Server s(dir.path());
  s.post_events(json::array({event("Cart::at", now_ms() - 5 * kHour, "old")}));
  auto problem = [&](const std::string& method, const std::string& target, int want, const std::string& body = {}) {
    auto r = s.request(method, target, body);
    BOOST_TEST(r.status == want, method << " " << target << " -> " << r.status << " " << r.body);
    BOOST_TEST(r.header("content-type") == "application/problem+json", target);
    auto j = json::parse(r.body, nullptr, false);
    BOOST_TEST((!j.is_discarded() && j.at("status") == want && j.contains("detail")), r.body);
  };
  problem("GET", "/api/v1/archives/abc", 400);
  problem("GET", "/api/v1/archives/0", 400);
  problem("GET", "/api/v1/archives/-3", 400);
  problem("GET", "/api/v1/archives/1x", 400);
  problem("GET", "/api/v1/archives/99999999999999999999", 400);
  problem("GET", "/api/v1/archives/12345", 404);
  problem("GET", "/api/v1/archives/1?summary=no", 400);
  problem("GET", "/api/v1/archives?group=abc", 400);
  problem("GET", "/api/v1/archives?limit=0", 400);
  problem("GET", "/api/v1/archives?limit=5000", 400);
  problem("GET", "/api/v1/archives?since=-1", 400);
  problem("GET", "/api/v1/archives?grup=1", 400);
  problem("POST", "/api/v1/archives/run", 400, "[1]");
  problem("POST", "/api/v1/archives/run", 400, R"({"older_than":1})");
  problem("POST", "/api/v1/archives/run", 400, "{not json");
  problem("DELETE", "/api/v1/archives/1", 405);
  // Without the token: 401, like every /api route.
  {
    HttpConnection conn(s.c.port);
    conn.send_request("POST", "/api/v1/archives/run", {}, {"Connection: close"});
    BOOST_TEST(conn.read_response()->status == 401);
  }
  // Nothing of the above archived anything.
  BOOST_TEST(db_int(dir.path(), "SELECT count(*) FROM error_archives") == 0);
  BOOST_TEST(db_int(dir.path(), "SELECT count(*) FROM error_events") == 1);
  BOOST_TEST(s.ok_json("GET", "/api/v1/archives").at("archives").empty());
  // An empty body and {} both run.
  BOOST_TEST(s.ok_json("POST", "/api/v1/archives/run", "{}").at("events_folded") == 1);
  s.stop();
}

BOOST_AUTO_TEST_CASE(bad_flag_values_are_usage_errors_and_help_lists_the_flags) {
  TempDir dir;
  auto run = [&](std::vector<std::string> args, std::vector<std::string> env = {}) {
    std::vector<std::string> argv;
    for (const auto& e : env) argv.push_back(e);
    argv.push_back(dbg::test::bin_path("dbgcoord"));
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.begin(), "env");
    return dbg::test::run_command(argv);
  };
  const std::string data = "--data-dir=" + (dir.path() / "d").string();
  struct Case {
    std::vector<std::string> args, env;
    std::string says;
  };
  for (const auto& c : std::vector<Case>{
           {{"--archive-after", "-1"}, {}, "--archive-after: '-1' is not a whole number from 0 to 31536000"},
           {{"--archive-after=1h"}, {}, "--archive-after"},
           {{"--archive-window", "0"}, {}, "--archive-window: '0' is not a whole number from 1 to 2592000"},
           {{"--archive-interval", "86401"}, {}, "--archive-interval"},
           {{"--archive-interval"}, {}, "--archive-interval needs a value"},
           {{"--max-db-mb", "lots"}, {}, "--max-db-mb: 'lots'"},
           {{"--budget-rss-mb", "0"}, {}, "--budget-rss-mb"},
           {{"--budget-cpu-percent", "0"}, {}, "--budget-cpu-percent: '0'"},
           {{"--budget-cpu-percent", "nan"}, {}, "--budget-cpu-percent"},
           {{"--budget-cpu-percent", "1e3"}, {}, "--budget-cpu-percent"},
           {{}, {"DBGCOORD_ARCHIVE_INTERVAL=0"}, "--archive-interval: '0'"},
           {{}, {"DBGCOORD_MAX_DB_MB=-5"}, "--max-db-mb"},
       }) {
    std::vector<std::string> args{data};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto r = run(args, c.env);
    BOOST_TEST(r.exit_code == 2, "exit " << r.exit_code << " for " << c.says);
    BOOST_TEST(r.err.find(c.says) != std::string::npos, r.err);
  }
  BOOST_TEST(!std::filesystem::exists(dir.path() / "d"));  // refused before anything was created
  auto help = run({"--help"});
  BOOST_TEST(help.exit_code == 0);
  for (const char* flag : {"--archive-after", "--archive-window", "--archive-interval", "--max-db-mb", "--budget-rss-mb",
                           "--budget-cpu-percent", "DBGCOORD_ARCHIVE_AFTER", "DBGCOORD_MAX_DB_MB",
                           "DBGCOORD_BUDGET_CPU_PERCENT"}) {
    BOOST_TEST(help.out.find(flag) != std::string::npos, flag);
  }
}

BOOST_AUTO_TEST_CASE(over_the_size_cap_the_oldest_archives_are_pruned_first) {
  TempDir dir;
  // One-minute windows, a 1 MiB cap.
  Server s(dir.path(), {"--archive-window", "60", "--max-db-mb", "1"});
  const int64_t base = (now_ms() - 3 * kHour) / 60'000 * 60'000;
  // 200 groups, each in a window of its own (group g is g minutes older than group 0), each
  // archive holding 3 samples with 8 KB of hex: about 12 KB compressed, 2.4 MB in all.
  std::mt19937_64 random(42);
  json events = json::array();
  std::vector<int64_t> window_of_group;
  std::map<int64_t, int64_t> window_by_group_id;
  for (int g = 0; g < 200; ++g) {
    const int64_t window = base - 60'000LL * g;
    for (int k = 0; k < 3; ++k) {
      std::string noise;
      char buf[17];
      for (int i = 0; i < 512; ++i) {
        std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(random()));
        noise += buf;
      }
      auto e = event("Site" + std::to_string(g) + "::run", window + 1000 * k, "m");
      e["context"]["noise"] = noise;
      events.push_back(std::move(e));
    }
    window_of_group.push_back(window);
    if (events.size() >= 60) {
      auto ids = s.post_events(events);
      for (std::size_t i = 0; i < ids.size(); i += 3) {
        window_by_group_id[ids[i]] = window_of_group[window_of_group.size() - events.size() / 3 + i / 3];
      }
      events = json::array();
    }
  }
  BOOST_REQUIRE_EQUAL(window_by_group_id.size(), 200u);

  auto report = s.run_archive();
  BOOST_TEST(report.at("events_folded") == 600);
  BOOST_TEST(report.at("archives_created") == 200);
  const int64_t pruned = report.at("archives_pruned");
  BOOST_TEST(pruned > 0);
  BOOST_TEST(pruned < 200);
  BOOST_TEST(report.at("database_used_bytes").get<int64_t>() <= (1 << 20));
  BOOST_TEST(report.at("events_pruned") == 3 * pruned);

  // What is left is the newest archives: every pruned window is older than every kept one.
  auto kept = s.ok_json("GET", "/api/v1/archives?limit=1000").at("archives");
  BOOST_REQUIRE_EQUAL(kept.size(), static_cast<std::size_t>(200 - pruned));
  std::set<int64_t> kept_windows;
  for (const auto& a : kept) {
    kept_windows.insert(a.at("window_start").get<int64_t>());
    BOOST_TEST(a.at("window_start") == window_by_group_id.at(a.at("group_id")));
  }
  int64_t oldest_kept = *kept_windows.begin(), newest_pruned = INT64_MIN;
  for (const auto& [group, window] : window_by_group_id) {
    if (!kept_windows.count(window)) newest_pruned = std::max(newest_pruned, window);
  }
  BOOST_TEST(newest_pruned < oldest_kept);
  // Group counts are not the archives': pruning forgets the details, not that events happened.
  BOOST_TEST(db_int(dir.path(), "SELECT sum(count) FROM error_groups") == 600);

  auto m = s.request("GET", "/metrics").body;
  BOOST_TEST(metric(m, "dbgcoord_archives_pruned_total") == pruned);
  BOOST_TEST(metric(m, "dbgcoord_archives") == 200 - pruned);
  s.stop();
  // The log says so (WARN; the first line of a call site in a minute is always written).
  auto log = read_trimmed_file(dir.path() / "logs" / "dbgcoord.log");
  BOOST_TEST(log.find("over its cap of 1 MiB: pruned the " + std::to_string(pruned) + " oldest archive(s)") != std::string::npos,
             log);
}
