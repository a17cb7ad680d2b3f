// `dbg-worker watch`: real crashers die under the watch exactly as without it (the test is
// their parent and compares the raw wait status), and the crash context says what happened.
#define BOOST_TEST_MODULE worker_watch
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "watch_client.hpp"
#include "worker_fixture.hpp"

using namespace dbg::test;

namespace {

// Runs `target mode` to its end without any watch; the raw wait status.
int unwatched_status(const std::string& target, const std::string& mode) {
  auto child = start_target(target, mode.empty() ? std::vector<std::string>{} : std::vector<std::string>{mode});
  BOOST_REQUIRE(child.write_stdin("go\n"));
  auto status = child.wait(std::chrono::seconds(60));
  BOOST_REQUIRE(status);
  return *status;
}

struct WatchedRun {
  int status = 0;          // the parent's (our) view
  int baseline = 0;        // the same program without the watch
  nlohmann::json crash;    // the crash event's context, or null
  nlohmann::json exit;     // the exit event, or null
  nlohmann::json ended;    // watch_ended
  pid_t pid = 0;
};

WatchedRun run_watched(const std::string& target, const std::string& mode, const std::string& options = "{}",
                       int threads = 3) {
  WatchedRun run;
  run.baseline = unwatched_status(target, mode);
  auto child = start_target(target, mode.empty() ? std::vector<std::string>{} : std::vector<std::string>{mode});
  run.pid = child.pid();
  WatchClient watcher;
  auto added = watcher.add(child.pid(), options);
  BOOST_REQUIRE_MESSAGE(added.at("type") == "result", added.dump());
  BOOST_TEST(added.at("result").at("threads").get<int>() == threads);  // crasher: main + two idle threads
  BOOST_REQUIRE(child.write_stdin("go\n"));
  for (const auto& e : watcher.events_until_end(child.pid())) {
    if (e.at("type") == "crash") run.crash = e.at("context");
    if (e.at("type") == "exit") run.exit = e;
    if (e.at("type") == "watch_ended") run.ended = e;
  }
  auto status = child.wait(std::chrono::seconds(60));
  BOOST_REQUIRE(status);
  run.status = *status;
  return run;
}

const nlohmann::json& crashing_thread(const nlohmann::json& ctx) {
  const auto& t = ctx.at("threads").at(0);
  BOOST_REQUIRE(t.value("crashing", false));
  return t;
}

std::vector<std::string> top_names(const nlohmann::json& ctx) { return real_function_names(crashing_thread(ctx)); }

const nlohmann::json* variable(const nlohmann::json& ctx, const std::string& name) {
  if (ctx.at("variables").is_null()) return nullptr;
  for (const auto& v : ctx.at("variables").at("items")) {
    if (v.at("name") == name) return &v;
  }
  return nullptr;
}

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

void check_same_death(const WatchedRun& run) {
  BOOST_TEST(run.status == run.baseline, "watched status " << run.status << " vs unwatched " << run.baseline);
}

}  // namespace

BOOST_AUTO_TEST_CASE(null_dereference_is_reported_with_frames_and_variables) {
  auto run = run_watched("crasher_O0", "null");
  check_same_death(run);
  BOOST_TEST(WIFSIGNALED(run.status));
  BOOST_TEST(WTERMSIG(run.status) == SIGSEGV);
  BOOST_REQUIRE(!run.crash.is_null());
  const auto& c = run.crash;
  BOOST_TEST(c.at("type") == "SIGSEGV/SEGV_MAPERR");
  BOOST_TEST(c.at("fault").at("class") == "null_page");
  BOOST_TEST(c.at("fault").at("address") == "0x8");  // &((struct account*)0)->balance
  BOOST_TEST(contains(c.at("message"), "SEGV_MAPERR"));
  auto names = top_names(c);
  BOOST_REQUIRE(names.size() >= 2u);
  BOOST_TEST(names[0] == "store_through");
  BOOST_TEST(names[1] == "main");
  BOOST_TEST(c.at("threads").size() == 3u);
  BOOST_TEST(c.at("registers").at("rip").get<std::string>().rfind("0x", 0) == 0u);
  BOOST_TEST(c.at("tid") == run.pid);
  // Key variables of store_through, located by DWARF (-O0: DW_OP_fbreg).
  BOOST_TEST(c.at("variables").at("function") == "store_through");
  auto* target = variable(c, "target");
  auto* amount = variable(c, "amount");
  auto* attempts = variable(c, "attempts");
  auto* label = variable(c, "label");
  BOOST_REQUIRE(target && amount && attempts && label);
  BOOST_TEST(target->at("value") == "0x0");
  BOOST_TEST(target->at("kind") == "parameter");
  BOOST_TEST(amount->at("value") == "100");
  BOOST_TEST(attempts->at("value") == "3");
  BOOST_TEST(attempts->at("kind") == "local");
  BOOST_TEST(contains(label->at("value"), "\"deposit\""));
  BOOST_TEST(run.ended.at("reason") == "crashed");
}

BOOST_AUTO_TEST_CASE(null_dereference_in_an_optimised_build) {
  auto run = run_watched("crasher_O2", "null");
  check_same_death(run);
  BOOST_REQUIRE(!run.crash.is_null());
  BOOST_TEST(run.crash.at("type") == "SIGSEGV/SEGV_MAPERR");
  BOOST_TEST(run.crash.at("fault").at("class") == "null_page");
  auto names = top_names(run.crash);
  BOOST_REQUIRE(!names.empty());
  BOOST_TEST(names[0] == "store_through");
  BOOST_TEST(find_frame(names, "main") > 0);
  // Optimised code: every variable has a value or says why not (never a guess).
  const auto& vars = run.crash.at("variables");
  BOOST_REQUIRE(vars.is_object());
  BOOST_TEST(vars.at("function") == "store_through");
  for (const auto& v : vars.at("items")) {
    BOOST_TEST_INFO(v.dump());
    BOOST_TEST((!v.at("value").is_null() || v.contains("unavailable") || v.contains("unsupported")));
  }
}

BOOST_AUTO_TEST_CASE(context_limits_are_honoured) {
  auto run = run_watched("crasher_O0", "thread", R"({"max_depth":2,"max_variables":1,"max_threads":2})");
  check_same_death(run);
  BOOST_REQUIRE(!run.crash.is_null());
  const auto& c = run.crash;
  BOOST_TEST(c.at("threads").size() == 2u);
  BOOST_TEST(c.at("omitted_threads") == 2);
  BOOST_TEST(c.at("thread_name") == "crash_thread");  // the crashing thread is always kept
  for (const auto& t : c.at("threads")) BOOST_TEST(t.at("frames").size() <= 2u);
  BOOST_TEST(c.at("variables").at("items").size() == 1u);
  BOOST_TEST(c.at("variables").at("truncated") == true);
}

BOOST_AUTO_TEST_CASE(wild_pointer_faults_in_unmapped_memory) {
  auto run = run_watched("crasher_O0", "wild");
  check_same_death(run);
  BOOST_REQUIRE(!run.crash.is_null());
  BOOST_TEST(run.crash.at("type") == "SIGSEGV/SEGV_MAPERR");
  BOOST_TEST(run.crash.at("fault").at("address") == "0xdead0008");
  BOOST_TEST(run.crash.at("fault").at("class") == "unmapped");
  BOOST_TEST(top_names(run.crash).at(0) == "store_through");
}

BOOST_AUTO_TEST_CASE(stack_overflow_is_bounded_and_classified) {
  auto run = run_watched("crasher_O0", "overflow", R"({"max_depth":20})");
  check_same_death(run);
  BOOST_REQUIRE(!run.crash.is_null());
  const auto& c = run.crash;
  BOOST_TEST(contains(c.at("type"), "SIGSEGV/"));
  BOOST_TEST(c.at("fault").at("class") == "stack_guard");
  const auto& t = crashing_thread(c);
  BOOST_TEST(t.at("frames").size() == 20u);
  BOOST_TEST(t.at("truncated") == "max_depth");
  for (const auto& name : real_function_names(t)) BOOST_TEST(name == "recurse");
  // Bounded: the other threads are there too, each at most 20 frames.
  BOOST_TEST(c.at("threads").size() == 3u);
  for (const auto& th : c.at("threads")) BOOST_TEST(th.at("frames").size() <= 20u);
}

BOOST_AUTO_TEST_CASE(division_by_zero) {
  auto run = run_watched("crasher_O0", "divzero");
  check_same_death(run);
  BOOST_TEST(WTERMSIG(run.status) == SIGFPE);
  BOOST_REQUIRE(!run.crash.is_null());
  BOOST_TEST(run.crash.at("type") == "SIGFPE/FPE_INTDIV");
  BOOST_TEST(run.crash.at("fault").at("class") == "text");
  BOOST_TEST(top_names(run.crash).at(0) == "divide");
  auto* divisor = variable(run.crash, "divisor");
  BOOST_REQUIRE(divisor);
  BOOST_TEST(divisor->at("value") == "0");
}

BOOST_AUTO_TEST_CASE(failed_assert_carries_glibc_message) {
  auto run = run_watched("crasher_O0", "assert");
  check_same_death(run);
  BOOST_TEST(WTERMSIG(run.status) == SIGABRT);
  BOOST_REQUIRE(!run.crash.is_null());
  const auto& c = run.crash;
  BOOST_TEST(c.at("type") == "SIGABRT/SI_TKILL");
  BOOST_TEST(c.at("fault").is_null());
  std::string message = c.at("message");
  BOOST_TEST(contains(message, "Assertion `value == expected' failed."), message);
  BOOST_TEST(contains(message, "check_invariant"), message);
  auto names = top_names(c);
  BOOST_TEST(find_frame(names, "__assert_fail") >= 0);
  BOOST_TEST(find_frame(names, "check_invariant") > find_frame(names, "__assert_fail"));
  // The frame of interest is the caller of the abort machinery.
  BOOST_TEST(c.at("variables").at("function") == "check_invariant");
  auto* value = variable(c, "value");
  BOOST_REQUIRE(value);
  BOOST_TEST(value->at("value") == "7");
}

BOOST_AUTO_TEST_CASE(plain_abort) {
  auto run = run_watched("crasher_O0", "abort");
  check_same_death(run);
  BOOST_REQUIRE(!run.crash.is_null());
  BOOST_TEST(run.crash.at("type") == "SIGABRT/SI_TKILL");
  BOOST_TEST(run.crash.at("message") == "abort() called");
  BOOST_TEST(run.crash.at("abort_message").is_null());
  auto names = top_names(run.crash);
  BOOST_TEST(find_frame(names, "abort") >= 0);
  BOOST_TEST(find_frame(names, "main") > find_frame(names, "abort"));
}

BOOST_AUTO_TEST_CASE(double_free_carries_heap_check_message) {
  auto run = run_watched("crasher_O0", "double_free");
  check_same_death(run);
  BOOST_REQUIRE(!run.crash.is_null());
  BOOST_TEST(run.crash.at("type") == "SIGABRT/SI_TKILL");
  std::string message = run.crash.at("message");
  BOOST_TEST(contains(message, "double free detected"), message);
  BOOST_TEST(find_frame(top_names(run.crash), "release_twice") >= 0);
}

BOOST_AUTO_TEST_CASE(uncaught_cxx_exception_type_and_what) {
  auto run = run_watched("cxx_crasher", "", "{}", 1);
  check_same_death(run);
  BOOST_TEST(WTERMSIG(run.status) == SIGABRT);
  BOOST_REQUIRE(!run.crash.is_null());
  const auto& c = run.crash;
  BOOST_TEST(c.at("type") == "SIGABRT/SI_TKILL");
  BOOST_REQUIRE(c.at("exception").is_object());
  BOOST_TEST(c.at("exception").at("type") == "std::runtime_error");
  BOOST_TEST(c.at("exception").at("what") == "watch test: ledger out of balance");
  BOOST_TEST(contains(c.at("message"), "std::runtime_error"));
  BOOST_TEST(contains(c.at("message"), "ledger out of balance"));
  BOOST_TEST(find_frame(top_names(c), "ledger::reconcile") >= 0);
}

BOOST_AUTO_TEST_CASE(crash_in_a_second_thread) {
  auto run = run_watched("crasher_O0", "thread");
  check_same_death(run);
  BOOST_REQUIRE(!run.crash.is_null());
  const auto& c = run.crash;
  BOOST_TEST(c.at("type") == "SIGSEGV/SEGV_MAPERR");
  BOOST_TEST(c.at("thread_name") == "crash_thread");
  BOOST_TEST(c.at("tid") != run.pid);
  auto names = top_names(c);
  BOOST_TEST(names.at(0) == "store_through");
  BOOST_TEST(names.at(1) == "crash_thread_main");
  BOOST_TEST(c.at("threads").size() == 4u);  // main (in pthread_join), two idle, the crashing one
}

BOOST_AUTO_TEST_CASE(a_handled_sigsegv_is_passed_through_and_not_reported) {
  auto run = run_watched("crasher_O0", "handled");
  check_same_death(run);
  BOOST_TEST(WIFEXITED(run.status));
  BOOST_TEST(WEXITSTATUS(run.status) == 0);
  BOOST_TEST(run.crash.is_null());
  BOOST_TEST(run.exit.is_null());
  BOOST_TEST(run.ended.at("reason") == "exited");
  BOOST_TEST(run.ended.at("status") == 0);
}

BOOST_AUTO_TEST_CASE(non_zero_exit_is_an_event_not_a_crash) {
  auto run = run_watched("crasher_O0", "exit3");
  check_same_death(run);
  BOOST_TEST(WIFEXITED(run.status));
  BOOST_TEST(WEXITSTATUS(run.status) == 3);
  BOOST_TEST(run.crash.is_null());
  BOOST_REQUIRE(!run.exit.is_null());
  BOOST_TEST(run.exit.at("status") == 3);
  BOOST_TEST(run.exit.at("comm") == "crasher_O0");
  BOOST_TEST(run.ended.at("reason") == "exited");
}

BOOST_AUTO_TEST_CASE(non_fatal_and_ignored_signals_pass_through_untouched) {
  auto run = run_watched("crasher_O0", "signals");
  check_same_death(run);
  BOOST_TEST(WIFEXITED(run.status));
  BOOST_TEST(WEXITSTATUS(run.status) == 0);  // all 2000 queued SIGRTMIN reached the handler
  BOOST_TEST(run.crash.is_null());
}

BOOST_AUTO_TEST_CASE(the_watch_follows_exec_and_new_threads) {
  int baseline = 0;
  {
    auto child = start_target("crasher_O0", {"exec"});
    BOOST_REQUIRE(child.write_stdin("go\n"));
    BOOST_REQUIRE(child.wait_for_line("ready", std::chrono::seconds(10)));
    BOOST_REQUIRE(child.write_stdin("go\n"));
    baseline = child.wait(std::chrono::seconds(60)).value();
  }
  auto child = start_target("crasher_O0", {"exec"});
  WatchClient watcher;
  BOOST_REQUIRE(watcher.add(child.pid()).at("type") == "result");
  BOOST_REQUIRE(child.write_stdin("go\n"));
  // The new image starts its threads (traced from birth) and waits again.
  BOOST_REQUIRE(child.wait_for_line("ready", std::chrono::seconds(10)));
  BOOST_REQUIRE(child.write_stdin("go\n"));
  nlohmann::json crash;
  for (const auto& e : watcher.events_until_end(child.pid())) {
    if (e.at("type") == "crash") crash = e.at("context");
  }
  auto status = child.wait(std::chrono::seconds(60));
  BOOST_REQUIRE(status);
  BOOST_TEST(*status == baseline);
  BOOST_REQUIRE(!crash.is_null());
  BOOST_TEST(crash.at("type") == "SIGSEGV/SEGV_MAPERR");
  BOOST_TEST(top_names(crash).at(0) == "store_through");
  BOOST_TEST(crash.at("threads").size() == 3u);  // the threads the new image made after exec
}

BOOST_AUTO_TEST_CASE(a_core_dump_happens_as_configured) {
  // Core dumps on for the crashers (inherited from us), in a directory of our own: the crash
  // must dump a core with the watch exactly when it does without.
  rlimit old{};
  ::getrlimit(RLIMIT_CORE, &old);
  rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
  if (::setrlimit(RLIMIT_CORE, &unlimited) != 0) unlimited.rlim_cur = unlimited.rlim_max = old.rlim_max;
  ::setrlimit(RLIMIT_CORE, &unlimited);
  char dir_template[] = "/tmp/dbg-watch-core-XXXXXX";
  BOOST_REQUIRE(::mkdtemp(dir_template));
  char cwd[4096];
  BOOST_REQUIRE(::getcwd(cwd, sizeof cwd));
  BOOST_REQUIRE(::chdir(dir_template) == 0);
  auto run = run_watched("crasher_O0", "null");
  BOOST_REQUIRE(::chdir(cwd) == 0);
  ::setrlimit(RLIMIT_CORE, &old);
  std::filesystem::remove_all(dir_template);
  check_same_death(run);  // the raw status includes the core-dump bit
  BOOST_TEST_MESSAGE("core dumped: " << (WCOREDUMP(run.baseline) ? "yes" : "no (core_pattern or limits say no)"));
  BOOST_TEST(run.ended.at("core_dumped").get<bool>() == (WCOREDUMP(run.status) != 0));
}

BOOST_AUTO_TEST_CASE(a_killed_process_ends_the_watch_as_killed) {
  auto child = start_target("crasher_O0", {"null"});
  WatchClient watcher;
  BOOST_REQUIRE(watcher.add(child.pid()).at("type") == "result");
  child.signal(SIGKILL);
  auto events = watcher.events_until_end(child.pid());
  BOOST_TEST(events.size() == 1u);  // no crash: SIGKILL is not one, and cannot be seen anyway
  BOOST_TEST(events.back().at("reason") == "killed");
  BOOST_TEST(events.back().at("signal") == SIGKILL);
  auto status = child.wait(std::chrono::seconds(60));
  BOOST_REQUIRE(status);
  BOOST_TEST(WIFSIGNALED(*status));
  BOOST_TEST(WTERMSIG(*status) == SIGKILL);
}

BOOST_AUTO_TEST_CASE(a_process_whose_leader_already_exited_is_watched_to_its_end) {
  auto child = start_target("crasher_O0", {"zombie_leader"});
  // Wait until the main thread is a zombie (it exits right after "ready").
  for (int i = 0; i < 10000 && thread_state(child.pid(), child.pid()) != 'Z'; ++i) ::usleep(1000);
  BOOST_REQUIRE(thread_state(child.pid(), child.pid()) == 'Z');
  WatchClient watcher;
  auto added = watcher.add(child.pid());
  BOOST_REQUIRE(added.at("type") == "result");
  BOOST_TEST(added.at("result").at("threads") == 3);  // the live ones
  BOOST_REQUIRE(child.write_stdin("go\n"));
  auto events = watcher.events_until_end(child.pid());
  BOOST_TEST(events.back().at("reason") == "exited");
  BOOST_TEST(events.back().at("status").is_null());  // only the parent learns it
  auto status = child.wait(std::chrono::seconds(60));
  BOOST_REQUIRE(status);
  BOOST_TEST(WEXITSTATUS(*status) == 3);
}

namespace {

// TracerPid of every thread is 0 and none is in a ptrace or group stop.
void check_released(pid_t pid) {
  for (pid_t tid : thread_ids(pid)) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("TracerPid:", 0) == 0) BOOST_TEST(std::stoi(line.substr(10)) == 0, "thread " << tid << " still traced");
    }
  }
  BOOST_TEST(!any_thread_stopped(pid));
}

}  // namespace

BOOST_AUTO_TEST_CASE(watch_remove_releases_every_thread_running) {
  auto child = start_target("crasher_O0", {"exit3"});
  WatchClient watcher;
  BOOST_REQUIRE(watcher.add(child.pid()).at("type") == "result");
  auto removed = watcher.remove(child.pid());
  BOOST_TEST(removed.at("type") == "result");
  BOOST_TEST(removed.at("result").at("released") == true);
  check_released(child.pid());
  // It runs on, unwatched: no event for it any more, and it exits as it should.
  BOOST_REQUIRE(child.write_stdin("go\n"));
  auto status = child.wait(std::chrono::seconds(60));
  BOOST_REQUIRE(status);
  BOOST_TEST(WEXITSTATUS(*status) == 3);
  auto ended = watcher.next_event();
  BOOST_TEST(ended.at("type") == "watch_ended");
  BOOST_TEST(ended.at("reason") == "removed");
  auto pong = watcher.ask(R"({"v":1,"id":"p","kind":"ping"})", "p");
  BOOST_TEST(pong.at("watched") == 0);
}

BOOST_AUTO_TEST_CASE(a_killed_watcher_leaves_its_targets_running) {
  auto child = start_target("crasher_O0", {"exit3"});
  auto busy = start_target("chain", {"4"});
  {
    WatchClient watcher;
    BOOST_REQUIRE(watcher.add(child.pid()).at("type") == "result");
    BOOST_REQUIRE(watcher.add(busy.pid()).at("type") == "result");
    watcher.process().signal(SIGKILL);
    BOOST_REQUIRE(watcher.process().wait(std::chrono::seconds(30)));
  }
  check_released(child.pid());
  check_released(busy.pid());
  BOOST_REQUIRE(child.write_stdin("go\n"));
  auto status = child.wait(std::chrono::seconds(60));
  BOOST_REQUIRE(status);
  BOOST_TEST(WEXITSTATUS(*status) == 3);
}

BOOST_AUTO_TEST_CASE(a_stopped_process_stays_stopped_until_sigcont) {
  auto child = start_target("crasher_O0", {"exit3"});
  WatchClient watcher;
  BOOST_REQUIRE(watcher.add(child.pid()).at("type") == "result");
  child.signal(SIGSTOP);
  // Our parent-side view: the stop is reported to us (the parent) as without a tracer.
  int status = 0;
  BOOST_REQUIRE(::waitpid(child.pid(), &status, WUNTRACED) == child.pid());
  BOOST_TEST(WIFSTOPPED(status));
  BOOST_TEST(WSTOPSIG(status) == SIGSTOP);
  child.signal(SIGCONT);
  BOOST_REQUIRE(child.write_stdin("go\n"));
  auto events = watcher.events_until_end(child.pid());
  BOOST_TEST(events.back().at("reason") == "exited");
  auto end = child.wait(std::chrono::seconds(60));
  BOOST_REQUIRE(end);
  BOOST_TEST(WEXITSTATUS(*end) == 3);
}

BOOST_AUTO_TEST_CASE(bad_requests_are_answered_and_nothing_is_watched) {
  WatchClient watcher;
  struct Case {
    std::string line, id, code;
  } cases[] = {
      {"not json", "", "bad_request"},
      {R"({"v":1,"id":"k","kind":"watch_explode","pid":1})", "k", "bad_request"},
      {R"({"v":1,"id":"o","kind":"watch_add","pid":1,"options":{"max_depth":0}})", "o", "bad_request"},
      {R"({"v":1,"id":"u","kind":"watch_add","pid":1,"options":{"colour":1}})", "u", "bad_request"},
      {R"({"v":1,"id":"g","kind":"watch_add","pid":999999999})", "g", "process_gone"},
      {R"({"v":1,"id":"n","kind":"watch_remove","pid":12345678})", "n", "not_watched"},
  };
  for (const auto& c : cases) {
    watcher.send(c.line);
    auto r = watcher.next_event(std::chrono::seconds(30));
    BOOST_TEST_INFO(c.line << " -> " << r.dump());
    BOOST_TEST(r.at("type") == "error");
    BOOST_TEST(r.at("error").at("code") == c.code);
    if (!c.id.empty()) BOOST_TEST(r.at("id") == c.id);
  }
  auto self = watcher.ask(R"({"v":1,"id":"s","kind":"watch_add","pid":)" + std::to_string(watcher.process().pid()) + "}", "s");
  BOOST_TEST(self.at("error").at("code") == "permission_denied");
  auto pong = watcher.ask(R"({"v":1,"id":"p","kind":"ping"})", "p");
  BOOST_TEST(pong.at("watched") == 0);
}
