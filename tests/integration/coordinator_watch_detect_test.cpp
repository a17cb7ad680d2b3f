// The scheduled check on crash-watched processes (--detect-interval), end to end: a real dbgcoord
// with a one-second interval, real workers and watcher, the real `deadlock` target watched
// through POST /api/v1/watches and no session at all. The watcher holds the target's threads, so
// the captures are the watcher's own (worker/capture/seized_capture.hpp). Afterwards the watch still does
// its job (a crash is captured) and the target was never left stopped.
// Also: stored snapshots keep each thread's `wait` (migrations/0007_thread_waits.sql), across a
// restart of the coordinator.
#define BOOST_TEST_MODULE coordinator_watch_detect
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <map>
#include <set>
#include <thread>

#include "coordinator_test_client.hpp"
#include "dbg/snapshot.hpp"
#include "detect_target.hpp"
#include "fault_support.hpp"
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
  std::vector<std::string> extra;
  std::optional<Coordinator> c;
  std::string token;

  explicit Server(std::vector<std::string> args) : extra(std::move(args)) { start(); }
  void start() {
    std::vector<std::string> args{"--listen", "127.0.0.1:0", "--data-dir", data.path().string(), "--workers", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    c.emplace(start_coordinator(args));
    token = read_token(data.path() / "token");
  }
  void restart() {
    c->process.signal(SIGTERM);
    BOOST_REQUIRE(c->process.wait(60s));
    c.reset();
    start();
  }
  HttpReply request(const std::string& method, const std::string& target, const std::string& body = {}) {
    HttpConnection conn(c->port);
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
  void watch(int pid) {
    auto r = request("POST", "/api/v1/watches", R"({"pid":)" + std::to_string(pid) + "}");
    BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
  }
  json scheduled() { return get_json("/api/v1/stats").at("scheduled_checks"); }
  // Until at least `checks` scheduled checks have finished (bounded wait, no timing asserted).
  json wait_for_checks(uint64_t checks) {
    auto deadline = std::chrono::steady_clock::now() + 120s;
    for (;;) {
      json s = scheduled();
      if (s.at("checks").get<uint64_t>() >= checks) return s;
      BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "scheduled checks stuck at " << s.dump());
      std::this_thread::sleep_for(100ms);
    }
  }
  // POSTs a session; the session once it ended (whatever its status).
  json run_session(const json& body) {
    auto created = request("POST", "/api/v1/sessions", body.dump());
    BOOST_REQUIRE_MESSAGE(created.status == 202, created.body);
    std::string id = json::parse(created.body).at("id");
    auto deadline = std::chrono::steady_clock::now() + 60s;
    for (;;) {
      json s = get_json("/api/v1/sessions/" + id);
      if (s.at("status") != "queued" && s.at("status") != "running") return s;
      BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "session " << id << " did not end");
      std::this_thread::sleep_for(20ms);
    }
  }
  // A deadlock session on pid; its one target (the session must be done).
  json detect_session(int pid) {
    json s = run_session({{"kind", "snapshot"}, {"targets", {{"pids", {pid}}}}, {"options", {{"detect", "deadlock"}}}});
    BOOST_REQUIRE_MESSAGE(s.at("status") == "done", s.dump());
    return s.at("batches").at(0).at("targets").at(0);
  }
  std::optional<json> find_group(const std::string& type) {
    json groups = get_json("/api/v1/errors");  // kept: a loop over a temporary's member dangles
    for (const auto& g : groups.at("groups")) {
      if (g.at("type") == type) return g;
    }
    return std::nullopt;
  }
  json group_of_type(const std::string& type) {
    auto deadline = std::chrono::steady_clock::now() + 120s;
    for (;;) {
      if (auto g = find_group(type)) return *g;
      BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "no error group of type " << type
                                                                              << "; scheduled " << scheduled().dump());
      std::this_thread::sleep_for(100ms);
    }
  }
};

// The live events of some topics (GET /api/v1/events).
class EventClient {
 public:
  EventClient(int port, const std::string& token, const std::string& topics) : ws_(ioc_) {
    boost::asio::ip::tcp::resolver resolver(ioc_);
    boost::asio::connect(ws_.next_layer(), resolver.resolve("127.0.0.1", std::to_string(port)));
    ws_.handshake("127.0.0.1:" + std::to_string(port), "/api/v1/events?token=" + token + "&topics=" + topics);
  }
  // The next event of this type for pid (others skipped).
  json wait_for(const std::string& type, int pid) {
    for (int i = 0; i < 10000; ++i) {
      boost::beast::flat_buffer buffer;
      ws_.read(buffer);
      auto e = json::parse(boost::beast::buffers_to_string(buffer.data()));
      if (e.at("type") == type && e.at("data").value("pid", 0) == pid) return e;
    }
    BOOST_FAIL("no " << type << " event");
    return nullptr;
  }

 private:
  boost::asio::io_context ioc_;
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
};

void require_running(int pid) {
  BOOST_TEST(!dbg::test::any_thread_stopped(pid), "a thread of " << pid << " was left stopped");
}

// The DEADLOCK group's first event names exactly the target's cycle: thread i waits on M(i+1)
// owned by thread i+1.
void check_deadlock_group(Server& server, const json& group, const DetectTarget& target,
                          const std::vector<std::string>& names) {
  json detail = server.get_json("/api/v1/errors/" + std::to_string(group.at("id").get<int64_t>()));
  const json& event = detail.at("events").at(0);
  BOOST_TEST(event.at("source") == "detector");
  BOOST_TEST(event.at("kind") == "deadlock");
  BOOST_TEST(event.at("pid") == target.pid());
  const json& ctx = event.at("context");
  size_t n = names.size();
  BOOST_REQUIRE_EQUAL(ctx.at("threads").size(), n);
  std::set<std::string> want_mutexes, got_mutexes;
  for (size_t i = 0; i < n; ++i) want_mutexes.insert(dbg::hex(target.mutexes.at("M" + std::to_string(i))));
  for (const auto& m : ctx.at("mutexes")) got_mutexes.insert(m.get<std::string>());
  BOOST_TEST((got_mutexes == want_mutexes));
  for (size_t i = 0; i < n; ++i) {
    int tid = target.threads.at(names[i]);
    bool found = false;
    for (const auto& t : ctx.at("threads")) {
      if (t.at("tid") != tid) continue;
      found = true;
      BOOST_TEST(t.at("name") == names[i]);
      BOOST_TEST(t.at("waits_on") == dbg::hex(target.mutexes.at("M" + std::to_string((i + 1) % n))));
      BOOST_TEST(t.at("owner") == target.threads.at(names[(i + 1) % n]));
    }
    BOOST_TEST(found, names[i] << " missing from " << ctx.dump());
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(watched_two_thread_deadlock_is_found_by_the_scheduled_check_and_the_watch_still_catches_crashes) {
  DetectTarget target("two");
  Server server({"--detect-interval", "1"});
  server.watch(target.pid());
  json group = server.group_of_type("DEADLOCK");
  BOOST_TEST(group.at("message").get<std::string>().rfind("deadlock: 2 threads wait on each other", 0) == 0u);
  check_deadlock_group(server, group, target, {"dl-a", "dl-b"});
  require_running(target.pid());
  // No session did it: the scheduled check did, with the watcher's captures (a pool worker
  // would have been refused with already_traced: every check would have failed).
  BOOST_TEST(server.get_json("/api/v1/sessions").at("sessions").empty());
  json stats = server.wait_for_checks(2);
  BOOST_TEST(stats.at("failed") == 0, stats.dump());
  BOOST_TEST(stats.at("findings_reported") == 1, stats.dump());  // a lasting deadlock is one event
  BOOST_TEST(!server.find_group("BUSY_HANG").has_value());  // blocked threads do not spin

  // A detect session on the watched pid is captured by the watcher too (a pool worker would be
  // refused: the watcher holds every thread).
  json session_target = server.detect_session(target.pid());
  BOOST_TEST(session_target.at("status") == "done", session_target.dump());
  BOOST_REQUIRE_EQUAL(session_target.at("findings").size(), 1u);
  BOOST_TEST(session_target.at("findings").at(0).at("kind") == "deadlock");
  require_running(target.pid());

  // The watch goes on: a crasher watched in the same server is checked too, then crashes, and
  // the crash is captured as without the scheduled check.
  auto crasher = dbg::test::ChildProcess({dbg::test::target_path("crasher_O0"), "null"});
  BOOST_REQUIRE(crasher.wait_for_line("ready", 10s));
  server.watch(crasher.pid());
  uint64_t before = server.scheduled().at("checks");
  json after = server.wait_for_checks(before + 2);  // a round that included the crasher too
  BOOST_TEST(after.at("failed") == 0, after.dump());
  require_running(crasher.pid());
  BOOST_REQUIRE(crasher.write_stdin("go\n"));
  json crash = server.group_of_type("SIGSEGV/SEGV_MAPERR");
  BOOST_TEST(crash.at("count") == 1);
  auto status = crasher.wait(60s);
  BOOST_REQUIRE(status);
  BOOST_TEST(WIFSIGNALED(*status));
  BOOST_TEST(WTERMSIG(*status) == SIGSEGV);
  // The deadlocked target is still running (not stopped) and dies normally of a plain kill.
  require_running(target.pid());
  target.process.signal(SIGKILL);
  auto killed = target.process.wait(60s);
  BOOST_REQUIRE(killed);
  BOOST_TEST(WIFSIGNALED(*killed));
  BOOST_TEST(WTERMSIG(*killed) == SIGKILL);
}

BOOST_AUTO_TEST_CASE(watched_three_thread_cycle_is_found_by_the_scheduled_check) {
  DetectTarget target("three");
  Server server({"--detect-interval", "1"});
  EventClient events(server.c->port, server.token, "detect");
  server.watch(target.pid());
  // Live, like a session's finding, but with no session.
  json finding = events.wait_for("finding", target.pid());
  BOOST_TEST(finding.at("data").at("session_id").is_null());
  BOOST_TEST(finding.at("data").at("kind") == "deadlock");
  json group = server.group_of_type("DEADLOCK");
  BOOST_TEST(group.at("message").get<std::string>().rfind("deadlock: 3 threads", 0) == 0u);
  check_deadlock_group(server, group, target, {"dl-a", "dl-b", "dl-c"});
  require_running(target.pid());
}

BOOST_AUTO_TEST_CASE(watched_contention_that_progresses_is_never_reported) {
  DetectTarget target("contended");
  Server server({"--detect-interval", "1"});
  server.watch(target.pid());
  json stats = server.wait_for_checks(6);  // 12 captures under heavy contention
  BOOST_TEST(stats.at("failed") == 0, stats.dump());
  BOOST_TEST(stats.at("findings_reported") == 0, stats.dump());
  require_running(target.pid());
  BOOST_TEST(server.get_json("/api/v1/errors").at("groups").empty());
}

BOOST_AUTO_TEST_CASE(watched_spinning_thread_is_a_busy_hang) {
  DetectTarget target("spin");
  Server server({"--detect-interval", "1"});
  server.watch(target.pid());
  json group = server.group_of_type("BUSY_HANG");
  BOOST_TEST(group.at("message") == "busy hang: 1 thread spinning in spin_forever for 2 snapshots");
  require_running(target.pid());
}

BOOST_AUTO_TEST_CASE(a_watched_pid_is_snapshotted_by_the_watcher_and_a_profile_of_it_says_why_it_cannot) {
  DetectTarget watched("two");
  dbg::test::ChildProcess other({"/bin/sleep", "60"});
  Server server({});
  server.watch(watched.pid());
  const int watcher = server.get_json("/api/v1/watches").at("watcher_pid");
  BOOST_REQUIRE_GT(watcher, 0);
  BOOST_REQUIRE_EQUAL(faults::tracer_of(watched.pid()), watcher);

  // One session, two targets: the watched one through the watcher (a pool worker would answer
  // already_traced), the other through the pool as always.
  json session = server.run_session({{"kind", "snapshot"}, {"targets", {{"pids", {watched.pid(), other.pid()}}}}});
  BOOST_REQUIRE_MESSAGE(session.at("status") == "done", session.dump());
  std::map<int, json> by_pid;
  for (const auto& b : session.at("batches"))
    for (const auto& t : b.at("targets")) by_pid[t.at("pid").get<int>()] = t;
  BOOST_REQUIRE_EQUAL(by_pid.size(), 2u);
  for (const auto& [pid, t] : by_pid) BOOST_REQUIRE_MESSAGE(t.at("status") == "done", t.dump());

  json snap = server.get_json("/api/v1/snapshots/" + std::to_string(by_pid.at(watched.pid()).at("snapshot_id").get<int64_t>()));
  BOOST_TEST(snap.at("pid") == watched.pid());
  BOOST_TEST(snap.at("consistency") == "process");  // the watcher stops every thread at once
  std::set<std::string> names;
  for (const auto& th : snap.at("threads")) {
    names.insert(th.at("name").get<std::string>());
    BOOST_TEST(th.at("frames").size() > 0u, th.dump());
  }
  BOOST_TEST(names.count("dl-a") == 1u);
  BOOST_TEST(names.count("dl-b") == 1u);
  json plain = server.get_json("/api/v1/snapshots/" + std::to_string(by_pid.at(other.pid()).at("snapshot_id").get<int64_t>()));
  BOOST_TEST(plain.at("pid") == other.pid());

  // The watch goes on, by the same watcher, and nothing was left stopped.
  require_running(watched.pid());
  require_running(other.pid());
  BOOST_TEST(faults::tracer_of(watched.pid()) == watcher);
  BOOST_TEST(faults::tracer_of(other.pid()) == 0);
  BOOST_TEST(server.get_json("/api/v1/watches").at("watches").size() == 1u);

  // A ptrace profile of it cannot be taken while it is watched (a thread has one tracer): the
  // error says why and what to do.
  json profiled = server.run_session({{"kind", "profile"},
                                      {"targets", {{"pids", {watched.pid()}}}},
                                      {"options", {{"duration_s", 1}, {"sampler", "ptrace"}}}});
  const json& failed = profiled.at("batches").at(0).at("targets").at(0);
  BOOST_TEST(failed.at("status") == "failed", failed.dump());
  BOOST_TEST(failed.at("error").at("code") == "already_traced", failed.dump());
  BOOST_TEST(failed.at("error").at("message").get<std::string>().find("held by this server's crash watch") !=
                 std::string::npos,
             failed.dump());
  BOOST_TEST(failed.at("error").at("message").get<std::string>().find("sampler \"perf\"") != std::string::npos,
             failed.dump());
  require_running(watched.pid());
  BOOST_TEST(faults::tracer_of(watched.pid()) == watcher);

  // The default sampler (auto: perf here) needs no tracer: the profile goes through.
  json by_perf = server.run_session(
      {{"kind", "profile"}, {"targets", {{"pids", {watched.pid()}}}}, {"options", {{"duration_s", 0.5}}}});
  const json& done = by_perf.at("batches").at(0).at("targets").at(0);
  BOOST_REQUIRE_MESSAGE(done.at("status") == "done", done.dump());
  json stored = server.get_json("/api/v1/profiles/" + std::to_string(done.at("profile_id").get<int64_t>()));
  BOOST_TEST(stored.at("sampler") == "perf");
  BOOST_TEST(stored.at("pid") == watched.pid());
  require_running(watched.pid());
  BOOST_TEST(faults::tracer_of(watched.pid()) == watcher);
}

BOOST_AUTO_TEST_CASE(a_busy_watched_process_is_profiled_by_perf_and_the_watch_goes_on) {
  std::vector<std::string> argv{dbg::test::target_path("profile_hotcold"), "1", "0"};
  dbg::test::ChildProcess target(argv);
  BOOST_REQUIRE(target.wait_for_line("ready", 10s));
  Server server({});
  server.watch(target.pid());
  const int watcher = server.get_json("/api/v1/watches").at("watcher_pid");
  BOOST_REQUIRE_GT(watcher, 0);
  BOOST_REQUIRE_EQUAL(faults::tracer_of(target.pid()), watcher);
  json session = server.run_session({{"kind", "profile"},
                                     {"targets", {{"pids", {target.pid()}}}},
                                     {"options", {{"duration_s", 1.5}, {"hz", 99}, {"sampler", "perf"}}}});
  const json& t = session.at("batches").at(0).at("targets").at(0);
  BOOST_REQUIRE_MESSAGE(t.at("status") == "done", t.dump());
  json p = server.get_json("/api/v1/profiles/" + std::to_string(t.at("profile_id").get<int64_t>()));
  BOOST_TEST(p.at("sampler") == "perf");
  BOOST_TEST(p.at("sampler_reason") == "");
  BOOST_TEST(p.at("pause_us_total").get<double>() == 0.0);
  BOOST_TEST(p.at("samples").get<uint64_t>() > 0u);
  // The samples are of the busy function: the folded export names it.
  auto folded = server.request("GET", "/api/v1/profiles/" + std::to_string(t.at("profile_id").get<int64_t>()) + "?format=folded");
  BOOST_REQUIRE_EQUAL(folded.status, 200);
  BOOST_TEST(folded.body.find(";profile_hot") != std::string::npos, folded.body);
  // The watch was not disturbed: same tracer, the target runs.
  require_running(target.pid());
  BOOST_TEST(faults::tracer_of(target.pid()) == watcher);
  BOOST_TEST(server.get_json("/api/v1/watches").at("watches").size() == 1u);
}

BOOST_AUTO_TEST_CASE(stored_snapshots_keep_the_threads_wait_across_a_restart) {
  DetectTarget target("two");
  Server server({});
  json t = server.detect_session(target.pid());
  std::string path = "/api/v1/snapshots/" + std::to_string(t.at("snapshot_id").get<int64_t>());
  auto check = [&](const json& snap) {
    int seen = 0;
    for (const auto& th : snap.at("threads")) {
      std::string name = th.at("name");
      if (name != "dl-a" && name != "dl-b") continue;
      ++seen;
      BOOST_REQUIRE_MESSAGE(th.contains("wait"), th.dump());
      const json& w = th.at("wait");
      BOOST_TEST(w.at("syscall") == "futex");
      bool a = name == "dl-a";
      BOOST_TEST(w.at("addr") == dbg::hex(target.mutexes.at(a ? "M1" : "M0")));
      BOOST_TEST(w.at("mutex_owner") == target.threads.at(a ? "dl-b" : "dl-a"));
      BOOST_TEST(w.at("op").is_number_integer());
    }
    BOOST_TEST(seen == 2);
    // The main thread sits in pause(): no wait, and no key for it.
    for (const auto& th : snap.at("threads")) {
      if (th.at("tid") == target.pid()) BOOST_TEST(!th.contains("wait"));
    }
  };
  check(server.get_json(path));
  server.restart();
  json again = server.get_json(path);  // read back from SQLite by a fresh process
  check(again);
  auto text = server.request("GET", path + "?format=text");
  BOOST_REQUIRE(text.status == 200);
  std::string expected = "waits in futex on " + dbg::hex(target.mutexes.at("M1")) + " (op ";
  BOOST_TEST(text.body.find(expected) != std::string::npos, text.body);
  BOOST_TEST(text.body.find("mutex owner " + std::to_string(target.threads.at("dl-b"))) != std::string::npos, text.body);
}
