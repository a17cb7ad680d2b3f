// dbg-worker snapshot against real targets: known call chains, C++ names, stripped binaries,
// threads that vanish, PID namespaces, options and bad input.
#define BOOST_TEST_MODULE worker_snapshot
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include "worker_fixture.hpp"

using namespace dbg::test;

namespace {

// In every thread of chain: chain_block, chain_level_4..1 in this order, right above libc's pause.
void check_chain_thread(const nlohmann::json& thread, pid_t pid) {
  auto names = real_function_names(thread);
  BOOST_TEST_INFO("thread " << thread.at("tid") << ": " << nlohmann::json(names).dump());
  int block = find_frame(names, "chain_block");
  BOOST_REQUIRE(block >= 0);
  BOOST_TEST(find_frame(names, "pause") >= 0);
  BOOST_TEST(find_frame(names, "pause") < block);
  const char* chain[] = {"chain_block", "chain_level_4", "chain_level_3", "chain_level_2", "chain_level_1"};
  for (int i = 0; i < 5; ++i) BOOST_TEST(names.at(static_cast<size_t>(block + i)) == chain[i]);
  std::string below = names.at(static_cast<size_t>(block + 5));
  if (thread.at("tid").get<int>() == pid) {
    BOOST_TEST(below == "main");
  } else {
    BOOST_TEST(below == "thread_main");
    BOOST_TEST(find_frame(names, "start_thread") > block);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(chain_every_thread_shows_the_known_chain_in_order) {
  auto target = start_target("chain", {"5"});
  auto snap = snapshot_json(target.pid());
  BOOST_TEST(snap.at("pid").get<int>() == target.pid());
  BOOST_TEST(snap.at("comm").get<std::string>() == "chain");
  BOOST_REQUIRE_EQUAL(snap.at("threads").size(), 5u);
  for (const auto& t : snap.at("threads")) {
    BOOST_TEST(t.at("error").is_null());
    BOOST_TEST(t.at("truncated").is_null());
    BOOST_TEST(t.at("pause_us").get<double>() > 0);
    BOOST_TEST(t.at("state").get<std::string>() == "S");
    check_chain_thread(t, target.pid());
    // Source positions from the target's own DWARF; module and offset on every frame.
    for (const auto& f : t.at("frames")) {
      BOOST_TEST(!f.at("module").get<std::string>().empty());
      BOOST_TEST(f.at("offset").get<std::string>().rfind("0x", 0) == 0);
      if (!f.at("function").is_null() && f.at("function") == "chain_level_3") {
        BOOST_TEST(f.at("file").get<std::string>().find("chain.c") != std::string::npos);
        BOOST_TEST(f.at("line").get<int>() > 0);
        BOOST_TEST(f.at("module").get<std::string>() == "chain");
      }
    }
  }
  BOOST_TEST(!any_thread_stopped(target.pid()));
}

BOOST_AUTO_TEST_CASE(capture_window_runs_realtime_when_permitted_and_says_so) {
  auto target = start_target("chain", {"3"});
  for (const char* consistency : {"thread", "process"}) {
    auto snap = snapshot_json(target.pid(), {"--consistency", consistency, "--source", "none"});
    if (::geteuid() == 0) {
      BOOST_TEST(snap.at("capture_sched").get<std::string>() == "realtime");
      BOOST_TEST(!snap.contains("capture_sched_reason"));
    } else {
      BOOST_TEST(snap.at("capture_sched").get<std::string>() == "normal");
      BOOST_TEST(snap.at("capture_sched_reason").get<std::string>().find("sched_setscheduler") != std::string::npos);
    }
    BOOST_REQUIRE_EQUAL(snap.at("threads").size(), 3u);
    for (const auto& t : snap.at("threads")) check_chain_thread(t, target.pid());
  }
  // Asked for the normal class: it says so, and why.
  auto normal = snapshot_json(target.pid(), {"--capture-priority", "normal", "--source", "none"});
  BOOST_TEST(normal.at("capture_sched").get<std::string>() == "normal");
  BOOST_TEST(normal.at("capture_sched_reason").get<std::string>() == "configured");
  BOOST_TEST(!any_thread_stopped(target.pid()));
}

BOOST_AUTO_TEST_CASE(process_consistency_captures_the_same_chains) {
  auto target = start_target("chain", {"4"});
  auto snap = snapshot_json(target.pid(), {"--consistency", "process"});
  BOOST_TEST(snap.at("consistency").get<std::string>() == "process");
  BOOST_REQUIRE_EQUAL(snap.at("threads").size(), 4u);
  for (const auto& t : snap.at("threads")) check_chain_thread(t, target.pid());
  BOOST_TEST(!any_thread_stopped(target.pid()));
}

BOOST_AUTO_TEST_CASE(max_depth_cuts_every_stack_and_says_so) {
  auto target = start_target("chain", {"2"});
  auto snap = snapshot_json(target.pid(), {"--max-depth", "3"});
  for (const auto& t : snap.at("threads")) {
    BOOST_TEST(t.at("frames").size() == 3u);
    BOOST_TEST(t.at("truncated").get<std::string>() == "max_depth");
  }
}

BOOST_AUTO_TEST_CASE(cpp_names_with_namespaces_templates_lambdas_and_inlined_frames) {
  auto target = start_target("cpp_target", {"4"});
  auto snap = snapshot_json(target.pid());
  BOOST_REQUIRE_EQUAL(snap.at("threads").size(), 4u);
  int lambda_threads = 0;
  for (const auto& t : snap.at("threads")) {
    auto names = all_function_names(t);
    BOOST_TEST_INFO(nlohmann::json(names).dump());
    // park_forever is always_inline: it must appear, marked inlined, right above stage_two.
    int park = find_frame(names, "app::engine::park_forever(std::unique_lock<std::mutex>&)");
    BOOST_REQUIRE(park >= 0);
    BOOST_TEST(t.at("frames").at(static_cast<size_t>(park)).at("inlined").get<bool>());
    int two = find_frame(names, "app::engine::Pipeline<", static_cast<size_t>(park));
    BOOST_REQUIRE(two == park + 1);
    BOOST_TEST(names[static_cast<size_t>(two)].find("::stage_two(") != std::string::npos);
    BOOST_TEST(names.at(static_cast<size_t>(two + 1)).find("::stage_one(") != std::string::npos);
    BOOST_TEST(find_frame(names, "pthread_cond_wait") >= 0);
    BOOST_TEST(find_frame(names, "pthread_cond_wait") < park);
    if (t.at("tid").get<int>() == target.pid()) {
      BOOST_TEST(names[static_cast<size_t>(two)].find("Pipeline<long>") != std::string::npos);
      BOOST_TEST(find_frame(names, "main") == two + 2);
    } else {
      BOOST_TEST(names[static_cast<size_t>(two)].find("Pipeline<int>") != std::string::npos);
      BOOST_TEST(names.at(static_cast<size_t>(two + 2)).find("main::{lambda()#1}::operator()") == 0);
      BOOST_TEST(find_frame(names, "std::thread::_State_impl") > two);
      BOOST_TEST(find_frame(names, "start_thread") > two);
      ++lambda_threads;
    }
    const auto& frame = t.at("frames").at(static_cast<size_t>(two));
    BOOST_TEST(frame.at("file").get<std::string>().find("cpp_target.cpp") != std::string::npos);
  }
  BOOST_TEST(lambda_threads == 3);
}

BOOST_AUTO_TEST_CASE(stripped_binary_unwinds_through_eh_frame_and_shows_module_offsets) {
  auto full = start_target("cpp_target", {"2"});
  auto stripped = start_target("cpp_target_stripped", {"2"});
  auto a = snapshot_json(full.pid());
  auto b = snapshot_json(stripped.pid());
  for (size_t i = 0; i < 2; ++i) {
    const auto& ta = a.at("threads").at(i);
    const auto& tb = b.at("threads").at(i);
    // Same code, same offsets: frame for frame, module offsets inside the executable match.
    std::vector<std::string> off_a, off_b;
    for (const auto& f : ta.at("frames"))
      if (!f.at("inlined").get<bool>() && f.at("module") == "cpp_target") off_a.push_back(f.at("offset"));
    for (const auto& f : tb.at("frames")) {
      if (f.at("module") != "cpp_target_stripped") continue;
      off_b.push_back(f.at("offset"));
      BOOST_TEST(f.at("file").is_null());  // no DWARF left
    }
    BOOST_TEST(off_a == off_b, boost::test_tools::per_element());
    BOOST_TEST(off_b.size() >= 3u);
    // The walk goes on below the stripped frames into libc, to the thread's start.
    auto names = real_function_names(tb);
    BOOST_TEST((find_frame(names, "__libc_start_call_main") >= 0 || find_frame(names, "start_thread") >= 0));
  }
}

BOOST_AUTO_TEST_CASE(threads_that_vanish_are_reported_and_never_crash_the_worker) {
  auto target = start_target("churn");
  std::set<std::string> codes;
  int snapshots = 0, captured_threads = 0;
  // Threads live ~200 us: within a few dozen snapshots some vanish between the listing and
  // their capture. Keep going until that was seen (bounded), and check every snapshot.
  while (snapshots < 40 || (codes.empty() && snapshots < 400)) {
    auto snap = snapshot_json(target.pid(), {"--source", "none"});
    ++snapshots;
    for (const auto& t : snap.at("threads")) {
      if (t.at("error").is_null()) {
        BOOST_TEST(!t.at("frames").empty());
        ++captured_threads;
      } else {
        codes.insert(t.at("error").at("code").get<std::string>());
        BOOST_TEST(!t.at("error").at("message").get<std::string>().empty());
      }
    }
  }
  BOOST_TEST(captured_threads >= snapshots);  // at least the main thread every time
  BOOST_TEST(!codes.empty(), "no vanished thread was reported in " << snapshots << " snapshots");
  for (const auto& c : codes) BOOST_TEST((c == "thread_gone" || c == "zombie"), "unexpected code " << c);
  BOOST_TEST_MESSAGE("vanished-thread codes seen: " << nlohmann::json(codes).dump() << " in " << snapshots << " snapshots");
  BOOST_TEST(!any_thread_stopped(target.pid()));
}

BOOST_AUTO_TEST_CASE(process_in_its_own_pid_namespace) {
  // unshare --pid --fork: the target is pid 1 inside, some other pid outside.
  ChildProcess ns({"/usr/bin/unshare", "--pid", "--fork", "--kill-child", target_path("chain"), "3"});
  if (!ns.wait_for_line("ready", std::chrono::seconds(10))) {
    BOOST_TEST_MESSAGE("skipped: this machine does not allow unshare --pid");
    return;
  }
  // The chain process is unshare's only child.
  std::string children_path = "/proc/" + std::to_string(ns.pid()) + "/task/" + std::to_string(ns.pid()) + "/children";
  auto children = run_command({"cat", children_path}).out;
  pid_t inner = static_cast<pid_t>(std::atoi(children.c_str()));
  BOOST_REQUIRE(inner > 0);
  auto snap = snapshot_json(inner);
  BOOST_REQUIRE_EQUAL(snap.at("threads").size(), 3u);
  for (const auto& t : snap.at("threads")) check_chain_thread(t, inner);
}

BOOST_AUTO_TEST_CASE(text_format_reads_like_a_backtrace) {
  auto target = start_target("chain", {"2"});
  auto r = run_command({bin_path("dbg-worker"), "snapshot", std::to_string(target.pid()), "--format", "text"});
  BOOST_REQUIRE_EQUAL(r.exit_code, 0);
  BOOST_TEST(r.out.rfind("PID " + std::to_string(target.pid()) + " (chain) - 2 threads", 0) == 0);
  BOOST_TEST(r.out.find("TID " + std::to_string(target.pid()) + " \"chain\"") != std::string::npos);
  BOOST_TEST(r.out.find(" chain_level_2 (") != std::string::npos);
  BOOST_TEST(r.out.find(" - chain+0x") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_input_gets_a_clear_error_and_touches_nothing) {
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string says;
  } cases[] = {
      {{"snapshot"}, 2, "needs a PID"},
      {{"snapshot", "abc"}, 2, "not a pid"},
      {{"snapshot", "-5"}, 2, "not a pid"},
      {{"snapshot", "1", "--max-depth", "0"}, 2, "max_depth"},
      {{"snapshot", "1", "--max-depth", "x"}, 2, "integer"},
      {{"snapshot", "1", "--consistency", "sometimes"}, 2, "consistency"},
      {{"snapshot", "1", "--stack-bytes", "12"}, 2, "stack_bytes"},
      {{"snapshot", "1", "--format", "xml"}, 2, "json or text"},
      {{"snapshot", "1", "--bogus", "1"}, 2, "unknown option"},
      {{"frobnicate"}, 2, "unknown command"},
      {{"snapshot", "999999999"}, 1, "process_gone"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv{bin_path("dbg-worker")};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    auto r = run_command(argv);
    BOOST_TEST_INFO(nlohmann::json(c.args).dump() << " -> " << r.err);
    BOOST_TEST(r.exit_code == c.code);
    BOOST_TEST(r.err.find(c.says) != std::string::npos);
    BOOST_TEST(r.out.empty());
  }
}

BOOST_AUTO_TEST_CASE(a_zombie_is_reported_as_such) {
  // A child that exited and was never reaped by us (its parent) stays a zombie.
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  for (int i = 0; i < 200 && thread_state(child, child) != 'Z'; ++i) ::usleep(5000);
  auto r = run_command({bin_path("dbg-worker"), "snapshot", std::to_string(child)});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("zombie") != std::string::npos);
  ::waitpid(child, nullptr, 0);
}
