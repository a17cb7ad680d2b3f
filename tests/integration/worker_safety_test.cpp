// Safety: the worker is a read-only observer that never leaves a target stopped.
#define BOOST_TEST_MODULE worker_safety
#include <boost/test/unit_test.hpp>

#include <sys/uio.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "worker_fixture.hpp"

using namespace dbg::test;

namespace {

// FNV-1a over every readable+writable private mapping of pid, read with process_vm_readv.
// The target's threads all sleep in pause(), so nothing of theirs changes these bytes.
uint64_t writable_memory_hash(pid_t pid, size_t* bytes_hashed) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  uint64_t h = 1469598103934665603ULL;
  *bytes_hashed = 0;
  std::vector<char> buf;
  while (std::getline(maps, line)) {
    std::istringstream in(line);
    std::string range, perms;
    in >> range >> perms;
    if (perms.size() < 2 || perms[0] != 'r' || perms[1] != 'w') continue;
    if (line.find("[vvar") != std::string::npos || line.find("[vsyscall]") != std::string::npos) continue;
    uint64_t start = std::stoull(range.substr(0, range.find('-')), nullptr, 16);
    uint64_t end = std::stoull(range.substr(range.find('-') + 1), nullptr, 16);
    buf.resize(end - start);
    iovec local{buf.data(), buf.size()}, remote{reinterpret_cast<void*>(start), buf.size()};
    ssize_t n = ::process_vm_readv(pid, &local, 1, &remote, 1, 0);
    BOOST_REQUIRE_MESSAGE(n == static_cast<ssize_t>(buf.size()), "could not read " << line);
    for (char c : buf) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ULL;
    *bytes_hashed += buf.size();
  }
  return h;
}

// glibc's restartable-sequences area is rewritten by the kernel when a thread changes CPU;
// turning rseq off keeps the target's memory still unless someone else writes it.
const std::vector<std::string> kQuietEnv{"GLIBC_TUNABLES=glibc.pthread.rseq=0"};

}  // namespace

BOOST_AUTO_TEST_CASE(hundred_snapshots_leave_the_target_running_and_its_memory_unchanged) {
  auto target = start_target("chain", {"4"}, kQuietEnv);
  size_t bytes = 0;
  uint64_t before = writable_memory_hash(target.pid(), &bytes);
  BOOST_TEST(bytes > 100000u);
  for (int i = 0; i < 100; ++i) {
    auto snap = snapshot_json(target.pid(), {"--consistency", i % 2 ? "process" : "thread", "--source", "none"});
    BOOST_REQUIRE_EQUAL(snap.at("threads").size(), 4u);
  }
  for (pid_t tid : thread_ids(target.pid())) {
    char s = thread_state(target.pid(), tid);
    BOOST_TEST((s == 'S' || s == 'R'), "thread " << tid << " in state " << s);
  }
  uint64_t after = writable_memory_hash(target.pid(), &bytes);
  BOOST_TEST(before == after);
}

BOOST_AUTO_TEST_CASE(worker_killed_while_holding_a_stopped_thread_leaves_the_target_running) {
  auto target = start_target("chain", {"3"});
  // The test hook keeps each captured thread stopped for 5 s inside the worker.
  ChildProcess worker({bin_path("dbg-worker"), "snapshot", std::to_string(target.pid())}, {"DBG_WORKER_TEST_HOLD_MS=5000"});
  bool saw_stopped = false;
  for (int i = 0; i < 400 && !saw_stopped; ++i) {
    saw_stopped = any_thread_stopped(target.pid());
    if (!saw_stopped) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  BOOST_REQUIRE_MESSAGE(saw_stopped, "the worker never stopped a thread");
  worker.signal(SIGKILL);
  BOOST_REQUIRE(worker.wait(std::chrono::seconds(5)).has_value());
  // The kernel releases a dead tracer's tracees (PTRACE_SEIZE, no pending group stop).
  bool running = false;
  for (int i = 0; i < 200 && !running; ++i) {
    running = !any_thread_stopped(target.pid());
    if (!running) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  BOOST_TEST(running);
  // And it can be captured again, with its chain intact.
  auto snap = snapshot_json(target.pid(), {"--source", "none"});
  BOOST_TEST(snap.at("threads").size() == 3u);
  for (const auto& t : snap.at("threads")) BOOST_TEST(t.at("error").is_null());
}

BOOST_AUTO_TEST_CASE(a_target_traced_by_another_debugger_gets_a_clear_error_and_no_hang) {
  auto target = start_target("chain", {"2"});
  // strace-like: a second tracer holds the process; our seize must fail fast with a reason.
  ChildProcess holder({bin_path("dbg-worker"), "snapshot", std::to_string(target.pid()), "--consistency", "process"},
                      {"DBG_WORKER_TEST_HOLD_MS=3000"});
  for (int i = 0; i < 400 && !any_thread_stopped(target.pid()); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  BOOST_REQUIRE(any_thread_stopped(target.pid()));
  auto r = run_command({bin_path("dbg-worker"), "snapshot", std::to_string(target.pid())});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("already_traced") != std::string::npos, r.err);
  BOOST_REQUIRE(holder.wait(std::chrono::seconds(10)).has_value());
  BOOST_TEST(!any_thread_stopped(target.pid()));
}

BOOST_AUTO_TEST_CASE(a_target_stopped_by_sigstop_is_captured_and_stays_stopped) {
  auto target = start_target("chain", {"2"});
  target.signal(SIGSTOP);
  // The group stop reaches each thread on its own; on a busy machine the main thread can be
  // stopped while another is still running. Wait for all of them.
  auto all_stopped = [&] {
    for (pid_t tid : thread_ids(target.pid()))
      if (thread_state(target.pid(), tid) != 'T') return false;
    return true;
  };
  for (int i = 0; i < 400 && !all_stopped(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  BOOST_REQUIRE(all_stopped());
  auto snap = snapshot_json(target.pid(), {"--source", "none"});
  for (const auto& t : snap.at("threads")) {
    BOOST_TEST(t.at("error").is_null());
    BOOST_TEST(find_frame(real_function_names(t), "chain_level_1") >= 0);
  }
  // Its job-control state is preserved: still stopped until someone sends SIGCONT.
  for (pid_t tid : thread_ids(target.pid())) BOOST_TEST(thread_state(target.pid(), tid) == 'T');
  target.signal(SIGCONT);
  for (int i = 0; i < 200 && any_thread_stopped(target.pid()); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  BOOST_TEST(!any_thread_stopped(target.pid()));
}
