// Archiving is crash-safe: dbgcoord is SIGKILLed in the middle of archiving 200,000 old events
// (at several points: right after the run was asked for, after its first committed chunk, after
// 40,000 events; a fifth of each under AddressSanitizer), restarted each time, and the SQLite
// file is checked with our own connection:
// for every group, raw events + archived events == events the API acknowledged, and
// PRAGMA integrity_check says ok. So a chunk's archives and its deletions land together or not
// at all: never both, never neither. A last run then finishes the job.
#define BOOST_TEST_MODULE coordinator_archive_crash
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sqlite3.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "coordinator_test_client.hpp"
#include "test_support.hpp"

using namespace dbg::coord::test;
using nlohmann::json;

namespace {

constexpr int64_t kHour = 3'600'000;
// Built with AddressSanitizer (scripts/sanitize.sh) everything here runs several times slower:
// the same kill points over a fifth of the events, so the run fits its time limit.
#if defined(__SANITIZE_ADDRESS__)
constexpr int kEvents = 40'000;
#else
constexpr int kEvents = 200'000;
#endif
// The third kill lands a fifth of the way through.
constexpr double kKillMidway = kEvents / 5.0;
constexpr int kGroups = 300;
constexpr int kBatch = 1000;

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Coordinator start(const std::filesystem::path& dir) {
  return start_coordinator({"--listen", "127.0.0.1:0", "--data-dir", dir.string(), "--archive-interval", "86400"});
}

HttpReply request(int port, const std::string& token, const std::string& method, const std::string& target,
                  const std::string& body = {}) {
  HttpConnection conn(port);
  std::vector<std::string> headers{"Connection: close", "Authorization: Bearer " + token};
  if (!body.empty()) headers.push_back("Content-Type: application/json");
  conn.send_request(method, target, body, headers);
  auto r = conn.read_response(300s);
  if (!r) throw std::runtime_error("no response to " + method + " " + target);
  return *r;
}

double archived_so_far(int port, const std::string& token) {
  std::istringstream in(request(port, token, "GET", "/metrics").body);
  std::string line;
  const std::string name = "dbgcoord_archived_events_total ";
  while (std::getline(in, line)) {
    if (line.rfind(name, 0) == 0) return std::stod(line.substr(name.size()));
  }
  return -1;
}

// Our own connection to the file (RAII), opened read-write so it can recover the WAL a killed
// process left behind.
struct Db {
  sqlite3* db = nullptr;
  explicit Db(const std::filesystem::path& file) {
    BOOST_REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  }
  ~Db() { sqlite3_close(db); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  // (first column, second column) of every row; a single-column query gets 0 as the second.
  std::vector<std::pair<std::string, int64_t>> rows(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    BOOST_REQUIRE_MESSAGE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK, sqlite3_errmsg(db));
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(st, sqlite3_finalize);
    std::vector<std::pair<std::string, int64_t>> out;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      const auto* text = sqlite3_column_text(st, 0);
      out.emplace_back(text ? reinterpret_cast<const char*>(text) : "",
                       sqlite3_column_count(st) > 1 ? sqlite3_column_int64(st, 1) : 0);
    }
    BOOST_REQUIRE_MESSAGE(rc == SQLITE_DONE, sqlite3_errmsg(db));
    return out;
  }
  std::map<int64_t, int64_t> by_group(const std::string& sql) {
    std::map<int64_t, int64_t> out;
    for (const auto& [key, value] : rows(sql)) out[std::stoll(key)] = value;
    return out;
  }
};

struct Totals {
  int64_t raw = 0, archived = 0;
};

// The invariant, straight from the file: raw + archived == acknowledged, per group.
Totals check_file(const std::filesystem::path& dir, const std::map<int64_t, int64_t>& acked, const std::string& when) {
  Db db(dir / "dbgcoord.db");
  auto integrity = db.rows("PRAGMA integrity_check");
  BOOST_REQUIRE(!integrity.empty());
  BOOST_TEST(integrity[0].first == "ok", when << ": integrity_check: " << integrity[0].first);
  auto raw = db.by_group("SELECT group_id, count(*) FROM error_events GROUP BY group_id");
  auto archived = db.by_group("SELECT group_id, sum(event_count) FROM error_archives GROUP BY group_id");
  auto counts = db.by_group("SELECT id, count FROM error_groups");
  BOOST_TEST(counts.size() == acked.size(), when);
  Totals t;
  int bad = 0;
  for (const auto& [group, n] : acked) {
    const int64_t r = raw.count(group) ? raw[group] : 0, a = archived.count(group) ? archived[group] : 0;
    t.raw += r;
    t.archived += a;
    if (r + a != n || counts[group] != n) {
      if (++bad <= 5) BOOST_ERROR(when << ": group " << group << ": raw " << r << " + archived " << a << " != acknowledged " << n
                                       << " (count column " << counts[group] << ")");
    }
  }
  BOOST_TEST(bad == 0, when);
  BOOST_TEST(t.raw + t.archived == kEvents, when);
  // Each (group, window) has one archive.
  BOOST_TEST(db.rows("SELECT count(*) FROM (SELECT group_id, window_start FROM error_archives GROUP BY 1, 2 HAVING count(*) > 1)")
                 .at(0)
                 .first == "0",
             when);
  return t;
}

json make_event(int i, int64_t base) {
  const int g = i % kGroups;
  // Spread over 10 hours, all older than 2 h; a watch-like context: registers and two threads.
  return json{{"type", "SIGSEGV/SEGV_MAPERR"},
              {"message", "invalid read at 0x" + std::to_string(8 * (i % 7))},
              {"timestamp", base - (static_cast<int64_t>(i) * 10 * kHour) / kEvents},
              {"pid", 1000 + i % 50},
              {"comm", "svc" + std::to_string(g % 10)},
              {"frames", json::array({json{{"function", "svc::Handler" + std::to_string(g) + "::run()"}, {"module", "svc"},
                                           {"offset", "0x" + std::to_string(4096 + g)}},
                                      json{{"function", "main"}, {"module", "svc"}, {"offset", "0x3100"}}})},
              {"context", json{{"registers", json{{"rip", "0x55d0c0de2410"}, {"rsp", "0x7ffd1000"}, {"rbp", "0x7ffd1040"}}},
                               {"threads", json::array({json{{"tid", 1000 + i % 50}, {"name", "worker"}},
                                                        json{{"tid", 2000 + i % 50}, {"name", "io"}}})}}}};
}

}  // namespace

BOOST_AUTO_TEST_CASE(sigkill_during_archiving_leaves_raw_events_or_archives_never_both_nor_neither) {
  TempDir dir;
  std::map<int64_t, int64_t> acked;  // group -> events acknowledged (201)
  {
    auto c = start(dir.path());
    const std::string token = read_trimmed_file(dir.path() / "token");
    const int64_t base = now_ms() - 2 * kHour;
    for (int first = 0; first < kEvents; first += kBatch) {
      json events = json::array();
      for (int i = first; i < first + kBatch; ++i) events.push_back(make_event(i, base));
      auto r = request(c.port, token, "POST", "/api/v1/errors/events", json{{"events", events}}.dump());
      BOOST_REQUIRE_MESSAGE(r.status == 201, r.status << " " << r.body);
      const json answer = json::parse(r.body);
      for (const auto& id : answer.at("group_ids")) ++acked[id.get<int64_t>()];
    }
    BOOST_REQUIRE_EQUAL(acked.size(), static_cast<std::size_t>(kGroups));
    c.process.signal(SIGTERM);
    BOOST_REQUIRE_EQUAL(exit_code_of(c.process.wait(60s)), 0);
  }
  auto t = check_file(dir.path(), acked, "before archiving");
  BOOST_REQUIRE_EQUAL(t.raw, kEvents);

  // Kill points: 0 = as soon as the run was asked for; otherwise once the metrics show at least
  // that many events folded by this process (polled, so no sleep decides anything).
  for (double kill_after : {0.0, 1.0, kKillMidway, 1.0}) {
    auto c = start(dir.path());
    const std::string token = read_trimmed_file(dir.path() / "token");
    HttpConnection run(c.port);  // the run's answer is never read: the process dies first
    run.send_request("POST", "/api/v1/archives/run", {}, {"Authorization: Bearer " + token});
    if (kill_after > 0) {
      const auto deadline = std::chrono::steady_clock::now() + 240s;
      while (archived_so_far(c.port, token) < kill_after) {
        BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "archiving made no progress");
        // A breath between polls: back-to-back /metrics requests compete with the archiving
        // they watch (badly so in an instrumented build).
        std::this_thread::sleep_for(10ms);
      }
    }
    c.process.signal(SIGKILL);
    BOOST_REQUIRE(c.process.wait(30s).has_value());
    auto now = check_file(dir.path(), acked, "killed after " + std::to_string(static_cast<long>(kill_after)));
    BOOST_TEST_MESSAGE("killed after >= " << kill_after << " folded: raw " << now.raw << ", archived " << now.archived);
    BOOST_TEST(now.archived >= t.archived);  // committed chunks stay committed
    t = now;
  }

  // A clean run finishes what the killed ones left.
  {
    auto c = start(dir.path());
    const std::string token = read_trimmed_file(dir.path() / "token");
    auto r = request(c.port, token, "POST", "/api/v1/archives/run");
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.status << " " << r.body);
    BOOST_TEST(json::parse(r.body).at("events_folded").get<int64_t>() == t.raw);
    c.process.signal(SIGTERM);
    BOOST_REQUIRE_EQUAL(exit_code_of(c.process.wait(60s)), 0);
  }
  t = check_file(dir.path(), acked, "after the final run");
  BOOST_TEST(t.raw == 0);
  BOOST_TEST(t.archived == kEvents);
}
