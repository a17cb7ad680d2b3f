// Deadlock and busy-hang detection end to end: a real dbgcoord on an ephemeral loopback port,
// real workers, a real SQLite file, and the real `deadlock` target (tests/targets/deadlock.c),
// which prints its thread ids and mutex addresses so the findings can be compared with the truth.
// After every detection the target must be running (no thread left in a ptrace stop).
#define BOOST_TEST_MODULE coordinator_detect
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "coordinator_test_client.hpp"
#include "dbg/snapshot.hpp"
#include "detect_target.hpp"
#include "test_support.hpp"

using namespace dbg::coord::test;
using dbg::test::DetectTarget;
using nlohmann::json;

namespace {

std::string read_token(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::string s;
  in >> s;
  return s;
}

struct Server {
  TempDir data;
  Coordinator c;
  std::string token;
  Server()
      : c(start_coordinator({"--listen", "127.0.0.1:0", "--data-dir", data.path().string(), "--workers", "2"})),
        token(read_token(data.path() / "token")) {}
  HttpReply request(const std::string& method, const std::string& target, const std::string& body = {}) {
    HttpConnection conn(c.port);
    std::vector<std::string> headers{"Connection: close", "Authorization: Bearer " + token};
    if (!body.empty()) headers.push_back("Content-Type: application/json");
    conn.send_request(method, target, body, headers);
    auto r = conn.read_response(30s);
    if (!r) throw std::runtime_error("no response to " + method + " " + target);
    return *r;
  }
  json get_json(const std::string& target) {
    auto r = request("GET", target);
    BOOST_REQUIRE_MESSAGE(r.status == 200, target << " -> " << r.status << " " << r.body);
    return json::parse(r.body);
  }
  // POSTs a detect session on pid and returns its one target once the session ended.
  json detect(int pid, const std::string& options) {
    auto created = request("POST", "/api/v1/sessions",
                           R"({"kind":"snapshot","targets":{"pids":[)" + std::to_string(pid) + R"(]},"options":)" + options + "}");
    BOOST_REQUIRE_MESSAGE(created.status == 202, created.body);
    std::string id = json::parse(created.body).at("id");
    auto deadline = std::chrono::steady_clock::now() + 60s;
    for (;;) {
      json s = get_json("/api/v1/sessions/" + id);
      if (s.at("status") == "done" || s.at("status") == "failed" || s.at("status") == "cancelled") {
        BOOST_REQUIRE_MESSAGE(s.at("status") == "done", s.dump());
        json target = s.at("batches").at(0).at("targets").at(0);
        BOOST_REQUIRE_MESSAGE(target.at("status") == "done", target.dump());
        BOOST_REQUIRE_MESSAGE(target.at("findings").is_array(), target.dump());
        return target;
      }
      BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "session " << id << " did not end");
      std::this_thread::sleep_for(20ms);
    }
  }
  // The error group of `type`, once the error service committed it (recording is asynchronous).
  json group_of_type(const std::string& type) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    for (;;) {
      json groups = get_json("/api/v1/errors");  // kept: a loop over a temporary's member dangles
      for (const auto& g : groups.at("groups")) {
        if (g.at("type") == type) return g;
      }
      BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "no error group of type " << type);
      std::this_thread::sleep_for(50ms);
    }
  }
};

void require_running(const DetectTarget& target) {
  BOOST_TEST(!dbg::test::any_thread_stopped(target.pid()), "a thread of " << target.pid() << " was left stopped");
}

// The deadlock finding must name exactly the cycle the target built: thread i holds M(i) and
// waits on M(i+1), owned by thread i+1.
void check_cycle(const json& finding, const DetectTarget& target, const std::vector<std::string>& names) {
  BOOST_TEST(finding.at("kind") == "deadlock");
  size_t n = names.size();
  BOOST_REQUIRE_EQUAL(finding.at("threads").size(), n);
  std::set<std::string> expected_mutexes, got_mutexes;
  for (size_t i = 0; i < n; ++i) expected_mutexes.insert(dbg::hex(target.mutexes.at("M" + std::to_string(i))));
  for (const auto& m : finding.at("mutexes")) got_mutexes.insert(m.get<std::string>());
  BOOST_TEST((got_mutexes == expected_mutexes));
  std::set<int> seen;
  for (size_t i = 0; i < n; ++i) {
    int tid = target.threads.at(names[i]);
    int next_tid = target.threads.at(names[(i + 1) % n]);
    std::string wants = dbg::hex(target.mutexes.at("M" + std::to_string((i + 1) % n)));
    bool found = false;
    for (const auto& t : finding.at("threads")) {
      if (t.at("tid") != tid) continue;
      found = true;
      seen.insert(tid);
      BOOST_TEST(t.at("name") == names[i]);
      BOOST_TEST(t.at("waits_on") == wants);
      BOOST_TEST(t.at("owner") == next_tid);
      BOOST_TEST(t.at("where").at("function") == "dl_take_second");
    }
    BOOST_TEST(found, "thread " << names[i] << " (" << tid << ") missing from " << finding.dump());
  }
  BOOST_TEST(seen.size() == n);
}

}  // namespace

BOOST_AUTO_TEST_CASE(two_thread_deadlock_is_found_and_becomes_a_DEADLOCK_group) {
  DetectTarget target("two");
  Server server;
  json t = server.detect(target.pid(), R"({"detect":"deadlock"})");
  require_running(target);
  BOOST_REQUIRE_MESSAGE(t.at("findings").size() == 1u, t.dump());
  const json& f = t["findings"][0];
  check_cycle(f, target, {"dl-a", "dl-b"});
  std::string message = f.at("message");
  BOOST_TEST(message.rfind("deadlock: 2 threads wait on each other (mutexes 0x", 0) == 0u, message);
  // The stored snapshot was taken with process consistency.
  json snap = server.get_json("/api/v1/snapshots/" + std::to_string(t.at("snapshot_id").get<int64_t>()));
  BOOST_TEST(snap.at("consistency") == "process");

  json group = server.group_of_type("DEADLOCK");
  BOOST_TEST(group.at("message").get<std::string>().rfind("deadlock: 2 threads", 0) == 0u);
  json detail = server.get_json("/api/v1/errors/" + std::to_string(group.at("id").get<int64_t>()));
  const json& event = detail.at("events").at(0);
  BOOST_TEST(event.at("source") == "detector");
  BOOST_TEST(event.at("kind") == "deadlock");
  BOOST_TEST(event.at("pid") == target.pid());
  BOOST_TEST(event.at("context").at("threads").size() == 2u);
  BOOST_TEST(event.at("context").at("mutexes").size() == 2u);
  BOOST_TEST(!event.at("frames").empty());
  // Found again: the same group counts it.
  json again = server.detect(target.pid(), R"({"detect":["deadlock","hang"],"hang_interval_ms":100})");
  require_running(target);
  BOOST_REQUIRE_EQUAL(again.at("findings").size(), 1u);  // blocked threads are no busy hang
  check_cycle(again["findings"][0], target, {"dl-a", "dl-b"});
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (server.group_of_type("DEADLOCK").at("count") != 2) {
    BOOST_REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(50ms);
  }
}

BOOST_AUTO_TEST_CASE(three_thread_cycle_is_found) {
  DetectTarget target("three");
  Server server;
  json t = server.detect(target.pid(), R"({"detect":"deadlock"})");
  require_running(target);
  BOOST_REQUIRE_MESSAGE(t.at("findings").size() == 1u, t.dump());
  check_cycle(t["findings"][0], target, {"dl-a", "dl-b", "dl-c"});
  BOOST_TEST(t["findings"][0].at("message").get<std::string>().rfind("deadlock: 3 threads", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(heavy_contention_that_progresses_is_never_a_deadlock) {
  DetectTarget target("contended");
  Server server;
  for (int i = 0; i < 8; ++i) {
    json t = server.detect(target.pid(), R"({"detect":"deadlock"})");
    require_running(target);
    BOOST_TEST(t.at("findings").empty(), t.dump());
  }
  // The checks faced real contention, not an idle process: process snapshots taken straight
  // with the worker show threads blocked on these mutexes with an owner (stored snapshots do
  // not keep "wait" yet). Bounded attempts, no timing.
  std::set<uint64_t> mutexes;
  for (const auto& [name, addr] : target.mutexes) mutexes.insert(addr);
  int waiting_seen = 0;
  for (int i = 0; i < 50 && waiting_seen == 0; ++i) {
    auto r = dbg::test::run_command({dbg::test::bin_path("dbg-worker"), "snapshot", std::to_string(target.pid()),
                                     "--consistency", "process", "--source", "none"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    json snap = json::parse(r.out);  // kept: a loop over a temporary's member dangles
    for (const auto& th : snap.at("threads")) {
      if (!th.contains("wait") || th["wait"]["mutex_owner"].is_null()) continue;
      waiting_seen += mutexes.count(std::strtoull(th["wait"]["addr"].get<std::string>().c_str(), nullptr, 16)) ? 1 : 0;
    }
  }
  BOOST_TEST(waiting_seen > 0);
  require_running(target);
  BOOST_TEST(server.get_json("/api/v1/errors").at("groups").empty());
}

BOOST_AUTO_TEST_CASE(a_spinning_thread_is_a_busy_hang) {
  DetectTarget target("spin");
  Server server;
  json t = server.detect(target.pid(), R"({"detect":"hang"})");
  require_running(target);
  BOOST_REQUIRE_MESSAGE(t.at("findings").size() == 1u, t.dump());
  const json& f = t["findings"][0];
  BOOST_TEST(f.at("kind") == "hang");
  BOOST_TEST(f.at("snapshots") == 3);
  BOOST_REQUIRE_EQUAL(f.at("threads").size(), 1u);
  BOOST_TEST(f["threads"][0].at("tid") == target.threads.at("dl-spin"));
  BOOST_TEST(f["threads"][0].at("where").at("function") == "spin_forever");
  BOOST_TEST(f.at("message") == "busy hang: 1 thread spinning in spin_forever for 3 snapshots");
  json group = server.group_of_type("BUSY_HANG");
  BOOST_TEST(group.at("message") == "busy hang: 1 thread spinning in spin_forever for 3 snapshots");
}

BOOST_AUTO_TEST_CASE(an_idle_process_has_no_finding) {
  DetectTarget target("idle");
  Server server;
  for (int i = 0; i < 3; ++i) {
    json t = server.detect(target.pid(), R"({"detect":["deadlock","hang"],"hang_interval_ms":100})");
    require_running(target);
    BOOST_TEST(t.at("findings").empty(), t.dump());
  }
  BOOST_TEST(server.get_json("/api/v1/errors").at("groups").empty());
}

BOOST_AUTO_TEST_CASE(bad_detect_options_are_400_and_store_nothing) {
  DetectTarget target("idle");
  Server server;
  std::string pids = std::to_string(target.pid());
  for (std::string options : {R"({"detect":"livelock"})", R"({"detect":[]})", R"({"detect":"deadlock","consistency":"thread"})",
                              R"({"detect":"hang","hang_snapshots":1})", R"({"detect":"hang","hang_interval_ms":5})",
                              R"({"hang_snapshots":3})"}) {
    auto r = server.request("POST", "/api/v1/sessions",
                            R"({"kind":"snapshot","targets":{"pids":[)" + pids + R"(]},"options":)" + options + "}");
    BOOST_TEST(r.status == 400, options << " -> " << r.status << " " << r.body);
    BOOST_TEST(r.header("content-type") == "application/problem+json", options);
  }
  auto profile = server.request("POST", "/api/v1/sessions",
                                R"({"kind":"profile","targets":{"pids":[)" + pids + R"(]},"options":{"detect":"deadlock"}})");
  BOOST_TEST(profile.status == 400, profile.body);
  BOOST_TEST(server.get_json("/api/v1/sessions").at("sessions").empty());
}
