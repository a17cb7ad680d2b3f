// The coordinator SIGKILLed under load: four clients POST batches of error events and one runs
// snapshot sessions back to back while the test kills dbgcoord. After a restart the database
// passes PRAGMA integrity_check and everything the API acknowledged is there: every event of
// every batch answered 2xx, every session reported done with its snapshots. (What was in flight
// may or may not be; that is allowed, an acknowledgement is the promise.)
#define BOOST_TEST_MODULE coordinator_kill9
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <mutex>
#include <set>

#include "fault_support.hpp"

using namespace dbg::coord::test;
using namespace dbg::coord::test::faults;
using dbg::test::ChildProcess;

namespace {

// One event whose message is its identity; frames vary a little so that several groups grow.
json event(const std::string& marker, int site) {
  return json{{"type", "std::runtime_error"},
              {"message", marker},
              {"frames", json::array({json{{"function", "site_" + std::to_string(site)}, {"module", "svc"}, {"offset", "0x10"}},
                                      json{{"function", "main"}, {"module", "svc"}, {"offset", "0x20"}}})}};
}

// What the API acknowledged, collected by the client threads.
struct Acknowledged {
  std::mutex mutex;
  std::vector<std::string> events;                         // markers of events answered 2xx
  std::vector<std::pair<std::string, json>> sessions;      // id -> targets, reported done
  void add_events(const std::vector<std::string>& markers) {
    std::lock_guard lock(mutex);
    events.insert(events.end(), markers.begin(), markers.end());
  }
};

// Requests until `stop`; a refused connection or a missing answer (the server died) ends it.
void ingest(Server& server, int client, std::atomic<bool>& stop, Acknowledged& acked) {
  for (int batch = 0; !stop; ++batch) {
    json body{{"events", json::array()}};
    std::vector<std::string> markers;
    for (int e = 0; e < 50; ++e) {
      markers.push_back("ingest c" + std::to_string(client) + " b" + std::to_string(batch) + " e" + std::to_string(e));
      body["events"].push_back(event(markers.back(), e % 5));
    }
    try {
      auto r = server.request("POST", "/api/v1/errors/events", body.dump(), 10s);
      if (r.status / 100 == 2) acked.add_events(markers);
    } catch (const std::exception&) {
      return;
    }
  }
}

void snapshot_sessions(Server& server, const std::string& targets, std::atomic<bool>& stop, Acknowledged& acked) {
  while (!stop) {
    try {
      auto r = server.request("POST", "/api/v1/sessions", targets, 10s);
      if (r.status != 202) continue;
      std::string id = json::parse(r.body).at("id");
      for (;;) {
        auto s = server.request("GET", "/api/v1/sessions/" + id, {}, 10s);
        if (s.status != 200) break;
        auto j = json::parse(s.body);
        if (j.at("status") == "done") {
          std::lock_guard lock(acked.mutex);
          acked.sessions.emplace_back(id, j);
          break;
        }
        if (stop) return;
        std::this_thread::sleep_for(10ms);
      }
    } catch (const std::exception&) {
      return;
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(acknowledged_events_and_sessions_survive_a_sigkill_and_the_database_is_intact) {
  std::vector<ChildProcess> targets;
  for (int i = 0; i < 3; ++i) {
    targets.emplace_back(std::vector<std::string>{dbg::test::target_path("chain"), "3"});
    BOOST_REQUIRE(targets.back().wait_for_line("ready", 10s));
  }
  std::string pids;
  for (const auto& t : targets) pids += (pids.empty() ? "" : ",") + std::to_string(t.pid());
  std::string session_body = R"({"kind":"snapshot","targets":{"pids":[)" + pids + R"(]},"options":{"source":"none"}})";

  TempDir data;
  Acknowledged acked;
  {
    Server server(data.path(), {"--workers", "2"});
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) clients.emplace_back([&, c] { ingest(server, c, stop, acked); });
    clients.emplace_back([&] { snapshot_sessions(server, session_body, stop, acked); });
    // Kill once the load is well under way (enough acknowledged to make the check mean
    // something), not at a fixed time.
    bool loaded = eventually([&] {
      std::lock_guard lock(acked.mutex);
      return acked.events.size() >= 4000 && acked.sessions.size() >= 3;
    }, 120s);
    server.c.process.signal(SIGKILL);
    auto status = server.c.process.wait(10s);
    stop = true;
    for (auto& t : clients) t.join();
    BOOST_REQUIRE_MESSAGE(loaded, "the load never got going: " << acked.events.size() << " events, "
                                                               << acked.sessions.size() << " sessions acknowledged");
    BOOST_REQUIRE(status);
    BOOST_TEST(WIFSIGNALED(*status));
  }
  BOOST_TEST_MESSAGE("acknowledged before the kill: " << acked.events.size() << " events, " << acked.sessions.size()
                                                      << " sessions");
  // The killed coordinator's workers die with their stdin; no target stays stopped or traced.
  for (const auto& t : targets) BOOST_TEST(eventually([&] { return released_and_running(t.pid()); }));

  {
    // A writer connection replays the WAL the killed process left, as dbgcoord would at start.
    Db db(data.path() / "dbgcoord.db", true);
    BOOST_TEST(db.integrity() == "ok");
    auto rows = db.column("SELECT message FROM error_events WHERE message LIKE 'ingest %'");
    std::set<std::string> stored(rows.begin(), rows.end());
    size_t missing = 0;
    for (const auto& m : acked.events) missing += stored.count(m) ? 0 : 1;
    BOOST_TEST(missing == 0u, missing << " acknowledged events are missing");
  }

  Server again(data.path());
  for (const auto& [id, session] : acked.sessions) {
    auto now = again.get_json("/api/v1/sessions/" + id);
    BOOST_TEST(now.at("status") == "done");
    for (const auto& t : Server::targets_of(session)) {
      if (t.at("status") != "done") continue;
      auto snap = again.request("GET", "/api/v1/snapshots/" + std::to_string(t.at("snapshot_id").get<int64_t>()));
      BOOST_TEST(snap.status == 200, "snapshot " << t.at("snapshot_id") << " of acknowledged session " << id);
    }
  }
  // The groups' counts agree with the rows (the count and the events are one transaction).
  auto groups = again.get_json("/api/v1/errors?limit=1000").at("groups");
  int64_t counted = 0;
  for (const auto& g : groups) counted += g.at("count").get<int64_t>();
  Db db(data.path() / "dbgcoord.db");
  BOOST_TEST(counted == db.integer("SELECT count(*) FROM error_events"));
}
