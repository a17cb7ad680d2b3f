// Faults survived, end to end: a real dbgcoord, real workers and a real watcher, real targets.
//  - a worker SIGKILLed in the middle of a snapshot (a thread held stopped) and of a profile:
//    the target runs on untraced, the job fails with a reason, the next session succeeds;
//  - the watcher SIGKILLed while it holds a match watch's processes: re-seized by the new
//    watcher, and a crash afterwards is still captured (the pid-watch case is in
//    coordinator_watch_test);
//  - SIGTERM while a snapshot holds a thread and a watch holds a process: exit 0 within a
//    generous bound, every tracee released, the running session ended with a reason, logs
//    flushed, the database closed (no WAL left) and intact.
// Workers are found as children of the dbgcoord this test started (/proc), never by name.
#define BOOST_TEST_MODULE coordinator_faults
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>

#include "fault_support.hpp"

using namespace dbg::coord::test;
using namespace dbg::coord::test::faults;
using dbg::test::ChildProcess;

namespace {

ChildProcess start_ready(const std::vector<std::string>& argv) {
  ChildProcess child(argv);
  BOOST_REQUIRE(child.wait_for_line("ready", 10s));
  return child;
}

std::string pids_body(const std::string& kind, pid_t pid, const std::string& options) {
  return R"({"kind":")" + kind + R"(","targets":{"pids":[)" + std::to_string(pid) + R"(]},"options":)" + options + "}";
}

// The one dbg-worker child of the server, once it exists.
pid_t wait_for_worker(Server& server) {
  std::vector<pid_t> workers;
  BOOST_REQUIRE_MESSAGE(eventually([&] { return !(workers = children_of(server.pid(), "dbg-worker")).empty(); }),
                        "dbgcoord started no worker");
  return workers.front();
}

// The failed target of a one-target session: its error code, after checking the shape.
std::string failed_code(const json& session) {
  auto targets = Server::targets_of(session);
  BOOST_REQUIRE_EQUAL(targets.size(), 1u);
  BOOST_TEST(targets[0].at("status") == "failed");
  BOOST_REQUIRE(targets[0].at("error").is_object());
  BOOST_TEST(!targets[0].at("error").at("message").get<std::string>().empty());
  return targets[0].at("error").at("code");
}

// A later snapshot session on pid succeeds, from a worker that is not `dead_worker`.
void later_snapshot_succeeds(Server& server, pid_t pid, pid_t dead_worker) {
  auto done = server.wait_session(server.create_session(pids_body("snapshot", pid, R"({"source":"none"})")));
  BOOST_TEST(done.at("status") == "done");
  auto targets = Server::targets_of(done);
  BOOST_REQUIRE_EQUAL(targets.size(), 1u);
  BOOST_TEST(targets[0].at("status") == "done");
  BOOST_TEST(targets[0].at("snapshot_id").is_number_integer());
  // The dead worker did not come back, and dbgcoord reaped it: no zombie child is left.
  require_no_zombie_children(server.pid());
  BOOST_TEST(eventually([&] { return process_state(dead_worker) == '?'; }, 10s),
             "worker " << dead_worker << " in state " << process_state(dead_worker));
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_worker_killed_mid_snapshot_leaves_the_target_running_and_is_replaced) {
  auto target = start_ready({dbg::test::target_path("chain"), "2"});
  TempDir data;
  // The test hook keeps each captured thread stopped 3 s: the kill lands while one is held.
  Server server(data.path(), {"--workers", "1"}, {"DBG_WORKER_TEST_HOLD_MS=3000"});
  std::string id = server.create_session(pids_body("snapshot", target.pid(), R"({"source":"none","deadline_ms":60000})"));
  pid_t worker = wait_for_worker(server);
  BOOST_REQUIRE_MESSAGE(eventually([&] { return dbg::test::any_thread_stopped(target.pid()); }),
                        "the worker never stopped a thread");
  BOOST_TEST(tracer_pids(target.pid()).count(worker) == 1u);
  BOOST_REQUIRE(::kill(worker, SIGKILL) == 0);

  auto session = server.wait_session(id);
  BOOST_TEST(failed_code(session) == "worker_crashed");
  BOOST_TEST(eventually([&] { return released_and_running(target.pid()); }),
             "state " << process_state(target.pid()) << ", tracers " << tracer_pids(target.pid()).size());
  later_snapshot_succeeds(server, target.pid(), worker);
  BOOST_TEST(released_and_running(target.pid()));
}

BOOST_AUTO_TEST_CASE(a_worker_killed_mid_profile_leaves_the_target_running_and_is_replaced) {
  dbg::test::Spinner target;  // busy: the sampler has work at every tick
  TempDir data;
  Server server(data.path(), {"--workers", "1"});
  std::string id = server.create_session(pids_body("profile", target.pid(), R"({"hz":99,"duration_s":5})"));
  pid_t worker = wait_for_worker(server);
  // Sampling has begun once the session reports samples (profile_progress). Not the target's
  // TracerPid: the sampler attaches only around each tick, and a poll can miss every one.
  BOOST_REQUIRE_MESSAGE(eventually([&] {
                          json t = server.get_json("/api/v1/sessions/" + id).at("batches").at(0).at("targets").at(0);
                          return t.contains("progress") && t.at("progress").is_object() &&
                                 t.at("progress").value("samples", uint64_t{0}) > 0;
                        }),
                        "the profiler never reported a sample: " << server.get_json("/api/v1/sessions/" + id).dump());
  BOOST_REQUIRE(::kill(worker, SIGKILL) == 0);

  auto session = server.wait_session(id);
  BOOST_TEST(failed_code(session) == "worker_crashed");
  BOOST_TEST(eventually([&] { return released_and_running(target.pid()); }));
  later_snapshot_succeeds(server, target.pid(), worker);
}

BOOST_AUTO_TEST_CASE(a_watcher_killed_during_a_match_watch_is_replaced_and_crashes_are_still_captured) {
  // A name unique to this run, so the regex matches only our crasher.
  TempDir links;
  std::string name = "fw" + std::to_string(::getpid() % 100000);
  std::filesystem::create_symlink(dbg::test::target_path("crasher_O0"), links.path() / name);
  auto victim = start_ready({(links.path() / name).string(), "abort"});
  TempDir data;
  Server server(data.path());
  auto created = server.request("POST", "/api/v1/watches", json{{"match", "^" + name + "$"}}.dump());
  BOOST_REQUIRE_MESSAGE(created.status == 201, created.body);
  std::string watch_id = json::parse(created.body).at("id");
  int old_watcher = 0;
  BOOST_REQUIRE(eventually([&] {
    old_watcher = server.get_json("/api/v1/watches").at("watcher_pid");
    return old_watcher > 0 && tracer_of(victim.pid()) == old_watcher;
  }));

  BOOST_REQUIRE(::kill(old_watcher, SIGKILL) == 0);
  int new_watcher = 0;
  BOOST_TEST(eventually([&] {
    new_watcher = server.get_json("/api/v1/watches").at("watcher_pid");
    return new_watcher > 0 && new_watcher != old_watcher && tracer_of(victim.pid()) == new_watcher;
  }), "not re-seized: tracer " << tracer_of(victim.pid()) << ", watcher " << new_watcher);
  BOOST_TEST(process_state(victim.pid()) != 't');
  BOOST_TEST(process_state(victim.pid()) != 'T');
  require_no_zombie_children(server.pid());

  BOOST_REQUIRE(victim.write_stdin("go\n"));
  auto status = victim.wait(60s);
  BOOST_REQUIRE(status);
  BOOST_TEST(WIFSIGNALED(*status));
  BOOST_TEST(eventually([&] { return server.get_json("/api/v1/watches/" + watch_id).at("crashes") == 1; }));
}

BOOST_AUTO_TEST_CASE(sigterm_releases_every_tracee_ends_sessions_closes_the_database_and_exits_0) {
  auto snapped = start_ready({dbg::test::target_path("chain"), "2"});
  auto watched = start_ready({dbg::test::target_path("crasher_O0"), "abort"});
  TempDir data;
  // Held 10 s per thread: the snapshot is certainly running when SIGTERM arrives.
  Server server(data.path(), {"--workers", "2"}, {"DBG_WORKER_TEST_HOLD_MS=10000"});
  auto w = server.request("POST", "/api/v1/watches", json{{"pid", watched.pid()}}.dump());
  BOOST_REQUIRE_MESSAGE(w.status == 201, w.body);
  int watcher = server.get_json("/api/v1/watches").at("watcher_pid");
  BOOST_REQUIRE(eventually([&] { return tracer_of(watched.pid()) == watcher; }));
  std::string id = server.create_session(pids_body("snapshot", snapped.pid(), R"({"source":"none","deadline_ms":60000})"));
  BOOST_REQUIRE(eventually([&] { return dbg::test::any_thread_stopped(snapped.pid()); }));
  auto helpers = children_of(server.pid());
  BOOST_REQUIRE(helpers.size() >= 2u);  // a worker and the watcher

  auto status = server.terminate(20s);
  BOOST_REQUIRE_MESSAGE(status, "dbgcoord still running 20 s after SIGTERM");
  BOOST_TEST(exit_code_of(status) == 0);
  // The tracers are gone, so the kernel released both targets, running.
  // (An orphaned zombie is reaped by init a moment later: poll.)
  for (pid_t h : helpers)
    BOOST_TEST(eventually([&] { return !std::filesystem::exists("/proc/" + std::to_string(h)); }), "helper " << h << " survived");
  BOOST_TEST(eventually([&] { return released_and_running(snapped.pid()); }));
  BOOST_TEST(eventually([&] { return released_and_running(watched.pid()); }));

  // The database was closed: its WAL checkpointed and removed, the file intact.
  BOOST_TEST(!std::filesystem::exists(data.path() / "dbgcoord.db-wal"));
  {
    Db db(data.path() / "dbgcoord.db");
    BOOST_TEST(db.integrity() == "ok");
    // The interrupted session was ended on the way out, with a reason, not left "running".
    auto status_now = db.column("SELECT status FROM sessions WHERE id = '" + id + "'");
    BOOST_REQUIRE_EQUAL(status_now.size(), 1u);
    BOOST_TEST((status_now[0] == "failed" || status_now[0] == "cancelled"), "session " << status_now[0]);
  }
  // The log was flushed: its last line is the stop.
  BOOST_TEST(slurp(data.path() / "logs" / "dbgcoord.log").find("stopped") != std::string::npos);

  // And the session says why, through the API, after a restart.
  Server again(data.path());
  auto s = again.get_json("/api/v1/sessions/" + id);
  BOOST_TEST(s.at("status") == "failed");
  BOOST_TEST(s.at("reason").get<std::string>().find("stop") != std::string::npos, s.dump());
}
