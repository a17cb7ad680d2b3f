// Targets that do not hold still, through the whole coordinator (sessions, pool, workers):
// processes that exit, exec or fork while being captured; a process another debugger already
// traces; a process stopped by SIGSTOP. Every session ends (no hang), every failure says why,
// and every target that outlives its capture is left as it was: running and untraced, or, for
// the SIGSTOPped one, still stopped and untraced.
#define BOOST_TEST_MODULE coordinator_hostile_targets
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "fault_support.hpp"

using namespace dbg::coord::test;
using namespace dbg::coord::test::faults;
using dbg::test::ChildProcess;

namespace {

std::string snapshot_of(pid_t pid) {
  return R"({"kind":"snapshot","targets":{"pids":[)" + std::to_string(pid) + R"(]},"options":{"source":"none"}})";
}

// One snapshot session on pid: its one target once ended, or nullopt when the pid was refused
// up front (404: it was already gone when the session was resolved).
std::optional<json> snapshot_target(Server& server, pid_t pid) {
  auto r = server.request("POST", "/api/v1/sessions", snapshot_of(pid));
  if (r.status == 404) return std::nullopt;
  BOOST_REQUIRE_MESSAGE(r.status == 202, r.status << " " << r.body);
  auto session = server.wait_session(json::parse(r.body).at("id"));
  BOOST_TEST(session.at("status") == "done");
  auto targets = Server::targets_of(session);
  BOOST_REQUIRE_EQUAL(targets.size(), 1u);
  return targets[0];
}

// A target either captured or failed with a code and a message.
void check_outcome(const json& t) {
  BOOST_TEST_INFO(t.dump());
  if (t.at("status") == "done") {
    BOOST_TEST(t.at("snapshot_id").is_number_integer());
  } else {
    BOOST_TEST(t.at("status") == "failed");
    BOOST_TEST(!t.at("error").at("code").get<std::string>().empty());
    BOOST_TEST(!t.at("error").at("message").get<std::string>().empty());
  }
}

// A forked child of the test that PTRACE_SEIZEs every thread of pid (as gdb attaches to all
// of them) and then sleeps: "another debugger". Killed (which releases the tracees) and reaped
// on destruction.
class ForeignTracer {
 public:
  explicit ForeignTracer(pid_t target) {
    const auto threads = dbg::test::thread_ids(target);  // before fork: no allocation after it
    int ready[2];
    BOOST_REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
    pid_ = ::fork();
    BOOST_REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      char ok = '1';
      for (pid_t tid : threads)
        if (::ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) ok = '0';
      (void)!::write(ready[1], &ok, 1);
      for (;;) ::pause();
    }
    ::close(ready[1]);
    char ok = '0';
    (void)!::read(ready[0], &ok, 1);
    ::close(ready[0]);
    seized_ = ok == '1';
  }
  ~ForeignTracer() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  ForeignTracer(const ForeignTracer&) = delete;
  ForeignTracer& operator=(const ForeignTracer&) = delete;
  pid_t pid() const { return pid_; }
  bool seized() const { return seized_; }

 private:
  pid_t pid_ = -1;
  bool seized_ = false;
};

}  // namespace

BOOST_AUTO_TEST_CASE(targets_that_exit_during_capture_end_their_sessions_with_a_reason) {
  TempDir data;
  Server server(data.path(), {"--workers", "2"});
  int captured = 0, failed = 0, gone = 0;
  for (int i = 0; i < 12; ++i) {
    // Lifetimes from 0 to 38 ms: some die before resolution, some during capture, some after.
    ChildProcess target({dbg::test::target_path("restless"), "exit", std::to_string((i * 7) % 40)});
    BOOST_REQUIRE(target.wait_for_line("ready", 10s));
    auto t = snapshot_target(server, target.pid());
    if (!t) {
      ++gone;
      continue;
    }
    check_outcome(*t);
    (t->at("status") == "done" ? captured : failed)++;
    auto status = target.wait(20s);
    BOOST_REQUIRE_MESSAGE(status, "the target did not exit");
    BOOST_TEST((WIFEXITED(*status) && WEXITSTATUS(*status) == 0), "it must exit as it would have: " << *status);
  }
  BOOST_TEST_MESSAGE("captured " << captured << ", failed " << failed << ", gone before resolution " << gone);
  // The server is fine afterwards.
  BOOST_TEST(server.request("GET", "/healthz").status == 200);
}

BOOST_AUTO_TEST_CASE(targets_that_exec_or_fork_in_a_loop_are_captured_or_fail_cleanly_and_keep_running) {
  TempDir data;
  Server server(data.path(), {"--workers", "2"});
  for (const char* mode : {"exec", "fork"}) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      ChildProcess target({dbg::test::target_path("restless"), mode});
      BOOST_REQUIRE(target.wait_for_line("ready", 10s));
      int captured = 0;
      for (int i = 0; i < 10; ++i) {
        auto t = snapshot_target(server, target.pid());
        BOOST_REQUIRE_MESSAGE(t, "the pid of a living target was refused");
        check_outcome(*t);
        captured += t->at("status") == "done" ? 1 : 0;
      }
      BOOST_TEST_MESSAGE(mode << ": " << captured << " of 10 captured");
      // The target lives on, running, untraced; its forked children were never traced either.
      BOOST_TEST(!target.wait(0ms).has_value(), "the target died");
      BOOST_TEST(eventually([&] { return released_and_running(target.pid()); }),
                 "state " << process_state(target.pid()) << ", threads (tid:state:tracer) " << threads_report(target.pid()));
      for (pid_t child : children_of(target.pid())) BOOST_TEST(tracer_of(child) <= 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_target_traced_by_another_debugger_fails_with_its_tracer_pid_and_no_hang) {
  ChildProcess target({dbg::test::target_path("chain"), "2"});
  BOOST_REQUIRE(target.wait_for_line("ready", 10s));
  ForeignTracer tracer(target.pid());
  BOOST_REQUIRE_MESSAGE(tracer.seized(), "the test's own tracer could not seize the target");
  TempDir data;
  Server server(data.path());
  auto t = snapshot_target(server, target.pid());
  BOOST_REQUIRE(t);
  BOOST_TEST_INFO(t->dump());
  BOOST_TEST(t->at("status") == "failed");
  BOOST_TEST(t->at("error").at("code") == "already_traced");
  BOOST_TEST(t->at("error").at("message").get<std::string>().find("traced by pid " + std::to_string(tracer.pid())) !=
             std::string::npos);
  // A crash watch on it is refused too, with the same reason, and no watcher keeps it.
  auto w = server.request("POST", "/api/v1/watches", json{{"pid", target.pid()}}.dump());
  BOOST_TEST(w.status == 403, w.body);
  BOOST_TEST(w.body.find("traced") != std::string::npos, w.body);
  // The other debugger still holds it, and only it: we did not steal or disturb the target.
  BOOST_TEST(tracer_of(target.pid()) == tracer.pid());
  BOOST_TEST(!dbg::test::any_thread_stopped(target.pid()));
}

BOOST_AUTO_TEST_CASE(a_sigstopped_target_is_captured_and_left_stopped_and_untraced) {
  ChildProcess target({dbg::test::target_path("chain"), "2"});
  BOOST_REQUIRE(target.wait_for_line("ready", 10s));
  target.signal(SIGSTOP);
  auto all_stopped = [&] {
    for (pid_t tid : dbg::test::thread_ids(target.pid()))
      if (dbg::test::thread_state(target.pid(), tid) != 'T') return false;
    return true;
  };
  BOOST_REQUIRE(eventually(all_stopped));
  TempDir data;
  Server server(data.path());
  auto t = snapshot_target(server, target.pid());
  BOOST_REQUIRE(t);
  BOOST_TEST_INFO(t->dump());
  BOOST_TEST(t->at("status") == "done");
  auto text = server.request("GET", "/api/v1/snapshots/" + std::to_string(t->at("snapshot_id").get<int64_t>()) + "?format=text");
  BOOST_TEST(text.status == 200);
  BOOST_TEST(text.body.find("chain_level_1") != std::string::npos, text.body);
  // Job control is preserved: still stopped (T, not the tracing stop t), and nobody traces it.
  BOOST_TEST(eventually([&] { return tracer_pids(target.pid()) == std::set<int>{0}; }));
  BOOST_TEST(all_stopped());
  BOOST_TEST(process_state(target.pid()) == 'T');
  target.signal(SIGCONT);
  BOOST_TEST(eventually([&] { return !dbg::test::any_thread_stopped(target.pid()); }));
}
