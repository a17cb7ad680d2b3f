// The detector's pure parts on hand-built snapshots: the wait-for graph finds exactly the cycles
// (not chains, not condition-variable waits, not owners outside the process), busy hangs need
// the same stack AND CPU, the events carry the agreed shape, and bad options are refused.
#define BOOST_TEST_MODULE coordinator_detect
#include <boost/test/unit_test.hpp>

#include "coordinator/detect/busy_hang.hpp"
#include "coordinator/detect/detect_options.hpp"
#include "coordinator/detect/finding.hpp"
#include "coordinator/detect/wait_graph.hpp"

#include <unistd.h>

using namespace dbg;
using namespace dbg::coord::detect;
using nlohmann::json;

namespace {

Frame frame(const char* function, const char* module) {
  Frame f;
  f.function = function;
  f.module = module;
  f.pc = 0x1000;
  return f;
}

// A thread blocked in pthread_mutex_lock(mutex) called from `caller`, the mutex owned by `owner`.
ThreadStack locker(int tid, uint64_t mutex, int owner, const char* caller = "take") {
  ThreadStack t;
  t.tid = tid;
  t.name = "t" + std::to_string(tid);
  t.state = 'S';
  t.frames = {frame("__GI___lll_lock_wait", "libc.so.6"), frame("___pthread_mutex_lock@@GLIBC_2.2.5", "libc.so.6"),
              frame(caller, "app"), frame("start_thread", "libc.so.6")};
  t.wait = ThreadWait{"futex", mutex, 128, owner};
  return t;
}

// A thread that waits on nothing (e.g. the main thread in pause()).
ThreadStack bare(int tid) {
  ThreadStack t;
  t.tid = tid;
  return t;
}

Snapshot snapshot_of(std::vector<ThreadStack> threads) {
  Snapshot s;
  s.pid = 100;
  s.consistency = "process";
  s.threads = std::move(threads);
  return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_two_thread_cycle_is_one_deadlock_starting_at_the_lowest_tid) {
  auto found = find_deadlocks(snapshot_of({locker(102, 0xb0, 101), locker(101, 0xa0, 102), bare(100)}));
  BOOST_REQUIRE_EQUAL(found.size(), 1u);
  const Finding& f = found[0];
  BOOST_TEST(f.kind == "deadlock");
  BOOST_REQUIRE_EQUAL(f.threads.size(), 2u);
  BOOST_TEST(f.threads[0].tid == 101);
  BOOST_TEST(*f.threads[0].waits_on == 0xa0u);
  BOOST_TEST(*f.threads[0].owner == 102);
  BOOST_TEST(f.threads[1].tid == 102);
  BOOST_TEST((f.mutexes == std::vector<uint64_t>{0xa0, 0xb0}));
  BOOST_TEST(f.message == "deadlock: 2 threads wait on each other (mutexes 0xa0, 0xb0)");
  BOOST_REQUIRE(f.threads[0].where.has_value());
  BOOST_TEST(*f.threads[0].where->function == "take");
}

BOOST_AUTO_TEST_CASE(mutex_lock_functions_are_recognized_under_their_glibc_names) {
  for (const char* name : {"pthread_mutex_lock", "__pthread_mutex_lock@GLIBC_2.2.5", "___pthread_mutex_lock",
                           "__GI___lll_lock_wait", "__lll_lock_wait", "pthread_mutex_timedlock", "__pthread_mutex_clocklock64"})
    BOOST_TEST(is_mutex_lock_function(name), name);
  for (const char* name : {"pthread_cond_wait", "__futex_abstimed_wait_common", "__lll_lock_wait_private", "mutex_lock_helper",
                           "pthread_join", "sem_wait"})
    BOOST_TEST(!is_mutex_lock_function(name), name);
}

BOOST_AUTO_TEST_CASE(chains_owners_elsewhere_and_non_mutex_waits_are_not_deadlocks) {
  ThreadStack cond = locker(104, 0xc0, 103);
  cond.frames = {frame("__futex_abstimed_wait_common", "libc.so.6"), frame("pthread_cond_wait", "libc.so.6"),
                 frame("wait_for_work", "app")};
  ThreadStack no_owner = locker(105, 0xd0, 0);
  no_owner.wait->mutex_owner.reset();
  auto found = find_deadlocks(snapshot_of({
      locker(101, 0xa0, 102),  // 101 -> 102 -> 103 -> (runs): a chain, no cycle
      locker(102, 0xb0, 103),
      bare(103),
      cond,                    // waits on a condition variable "owned" by 103: no mutex frame
      no_owner,
      locker(106, 0xe0, 999),  // owner is not one of ours (exited): no edge
  }));
  BOOST_TEST(found.empty());
}

BOOST_AUTO_TEST_CASE(a_three_cycle_beside_a_waiter_is_found_once) {
  auto found = find_deadlocks(snapshot_of({locker(7, 0x10, 8), locker(8, 0x20, 9), locker(9, 0x30, 7),
                                           locker(10, 0x10, 8)}));  // 10 waits behind the cycle
  BOOST_REQUIRE_EQUAL(found.size(), 1u);
  BOOST_REQUIRE_EQUAL(found[0].threads.size(), 3u);
  BOOST_TEST(found[0].threads[0].tid == 7);
  BOOST_TEST(found[0].threads[1].tid == 8);
  BOOST_TEST(found[0].threads[2].tid == 9);
}

BOOST_AUTO_TEST_CASE(relocking_a_held_mutex_is_a_cycle_of_one) {
  auto found = find_deadlocks(snapshot_of({locker(5, 0x50, 5)}));
  BOOST_REQUIRE_EQUAL(found.size(), 1u);
  BOOST_TEST(found[0].message == "deadlock: 1 thread waits on a mutex it holds (mutexes 0x50)");
}

BOOST_AUTO_TEST_CASE(the_error_event_has_the_agreed_shape) {
  auto found = find_deadlocks(snapshot_of({locker(101, 0xa0, 102), locker(102, 0xb0, 101)}));
  auto e = to_error_event(found.at(0), 100, "svc", 1234);
  BOOST_TEST(e.source == "detector");
  BOOST_TEST(e.kind == "deadlock");
  BOOST_TEST(e.type == "DEADLOCK");
  BOOST_TEST(e.frames.size() == 4u);
  BOOST_TEST(e.context["mutexes"] == json::parse(R"(["0xa0","0xb0"])"));
  const json& t0 = e.context["threads"][0];
  BOOST_TEST(t0["tid"] == 101);
  BOOST_TEST(t0["name"] == "t101");
  BOOST_TEST(t0["state"] == "S");
  BOOST_TEST(t0["waits_on"] == "0xa0");
  BOOST_TEST(t0["owner"] == 102);
  BOOST_TEST(t0["frames"].size() == 4u);
  BOOST_TEST(e.context.size() == 2u);
}

namespace {

ThreadStack runner(int tid, const char* function) {
  ThreadStack t;
  t.tid = tid;
  t.name = "r" + std::to_string(tid);
  t.state = 'R';
  t.frames = {frame(function, "app"), frame("main", "app")};
  return t;
}

CpuSample cpu(std::chrono::steady_clock::time_point at, std::map<int, uint64_t> ticks) { return CpuSample{at, std::move(ticks)}; }

}  // namespace

BOOST_AUTO_TEST_CASE(busy_hang_needs_the_same_stack_and_cpu) {
  auto t0 = std::chrono::steady_clock::now();
  auto t1 = t0 + std::chrono::seconds(1);
  long hz = ::sysconf(_SC_CLK_TCK);
  std::vector<Snapshot> snaps;
  for (int i = 0; i < 3; ++i) {
    ThreadStack spinning = runner(1, "spin_forever");
    spinning.frames[0].pc = 0x1000 + static_cast<uint64_t>(i);  // the pc moves inside the loop
    ThreadStack moving = runner(2, i == 1 ? "parse" : "compute");  // busy but progressing
    ThreadStack still = runner(3, "wait_here");                    // same stack, no CPU
    ThreadStack sleeper = runner(4, "poll_loop");                  // same stack, CPU, but sleeps
    if (i == 1) sleeper.state = 'S';
    snaps.push_back(snapshot_of({spinning, moving, still, sleeper}));
  }
  auto first = cpu(t0, {{1, 0}, {2, 0}, {3, 0}, {4, 0}});
  auto h = static_cast<uint64_t>(hz);
  auto last = cpu(t1, {{1, h}, {2, h}, {3, 0}, {4, h}});
  auto found = find_busy_hangs(snaps, first, last, 0.05);
  BOOST_REQUIRE_EQUAL(found.size(), 1u);
  BOOST_REQUIRE_EQUAL(found[0].threads.size(), 1u);
  BOOST_TEST(found[0].threads[0].tid == 1);
  BOOST_TEST(found[0].message == "busy hang: 1 thread spinning in spin_forever for 3 snapshots");
  auto e = to_error_event(found[0], 100, "svc", 0);
  BOOST_TEST(e.type == "BUSY_HANG");
  BOOST_TEST(e.kind == "hang");
  BOOST_TEST(e.context["threads"][0]["waits_on"].is_null());
  // Too little CPU: nothing.
  BOOST_TEST(find_busy_hangs(snaps, first, cpu(t1, {{1, 0}, {2, 0}, {3, 0}, {4, 0}}), 0.05).empty());
  // The same stack and CPU, but the thread slept by itself in between (a contended mutex, a
  // usleep): busy, not spinning. One voluntary switch per capture (our stops) is allowed.
  auto first_switches = first, last_switches = last;
  first_switches.voluntary_switches = {{1, 10}};
  last_switches.voluntary_switches = {{1, 10 + 3}};
  BOOST_TEST(find_busy_hangs(snaps, first_switches, last_switches, 0.05).size() == 1u);
  last_switches.voluntary_switches = {{1, 10 + 40}};
  BOOST_TEST(find_busy_hangs(snaps, first_switches, last_switches, 0.05).empty());
}

BOOST_AUTO_TEST_CASE(detect_options_are_validated_and_taken_out) {
  auto parse = [](const char* text) {
    json options = json::parse(text);
    return take_detect_options(options);
  };
  auto both = parse(R"({"detect":["deadlock","hang"],"hang_snapshots":4,"hang_interval_ms":100,"max_depth":9})");
  BOOST_REQUIRE(both.ok());
  BOOST_REQUIRE(both->has_value());
  BOOST_TEST((*both)->deadlock);
  BOOST_TEST((*both)->hang);
  BOOST_TEST((*both)->hang_snapshots == 4);
  BOOST_TEST((*both)->hang_interval_ms == 100);
  BOOST_TEST(parse(R"({"max_depth":9})")->has_value() == false);
  for (const char* bad : {R"({"detect":"livelock"})", R"({"detect":[]})", R"({"detect":7})",
                          R"({"detect":["deadlock","x"]})", R"({"detect":"deadlock","hang_snapshots":3})",
                          R"({"detect":"hang","hang_snapshots":1})", R"({"detect":"hang","hang_interval_ms":"300"})",
                          R"({"hang_interval_ms":300})", R"({"detect":"deadlock","consistency":"thread"})"}) {
    auto r = parse(bad);
    BOOST_TEST(!r.ok(), bad);
    if (!r.ok()) BOOST_TEST(r.error().code == "bad_request");
  }
  json options = json::parse(R"({"detect":"deadlock","deadline_ms":500,"max_depth":9})");
  json worker = worker_options(options);
  BOOST_TEST(worker == json::parse(R"({"max_depth":9,"consistency":"process"})"));
}
