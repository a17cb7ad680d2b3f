// The worker's "wait" fields on a real deadlocked target: with `process` consistency every
// thread blocked in pthread_mutex_lock shows the futex address (the mutex the target printed)
// and the mutex's owner (the other thread of the cycle); with `thread` consistency the address
// is there (free: from the registers) but no owner is read. The target is never left stopped.
#define BOOST_TEST_MODULE worker_wait
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "detect_target.hpp"
#include "dbg/snapshot.hpp"
#include "worker_fixture.hpp"

using namespace dbg::test;
using nlohmann::json;

namespace {

const json& thread_of(const json& snapshot, int tid) {
  for (const auto& t : snapshot.at("threads")) {
    if (t.at("tid") == tid) return t;
  }
  BOOST_FAIL("thread " << tid << " missing from the snapshot");
  static json none;
  return none;
}

}  // namespace

BOOST_AUTO_TEST_CASE(process_consistency_records_futex_address_and_mutex_owner) {
  DetectTarget target("two");
  int a = target.threads.at("dl-a"), b = target.threads.at("dl-b");
  uint64_t m0 = target.mutexes.at("M0"), m1 = target.mutexes.at("M1");
  json snap = snapshot_json(target.pid(), {"--consistency", "process"});
  BOOST_TEST(snap.at("consistency") == "process");
  // dl-a holds M0 and waits for M1 (held by dl-b), and the other way round.
  const json& ta = thread_of(snap, a);
  const json& tb = thread_of(snap, b);
  BOOST_REQUIRE_MESSAGE(ta.contains("wait"), ta.dump());
  BOOST_REQUIRE_MESSAGE(tb.contains("wait"), tb.dump());
  BOOST_TEST(ta["wait"]["syscall"] == "futex");
  BOOST_TEST(ta["wait"]["addr"] == dbg::hex(m1));
  BOOST_TEST(ta["wait"]["mutex_owner"] == b);
  BOOST_TEST(tb["wait"]["addr"] == dbg::hex(m0));
  BOOST_TEST(tb["wait"]["mutex_owner"] == a);
  BOOST_TEST((ta["wait"]["op"].get<int>() & 0x7f) == 0);  // FUTEX_WAIT (| PRIVATE)
  // The main thread sits in pause(), not futex(): no wait.
  BOOST_TEST(!thread_of(snap, target.pid()).contains("wait"));
  BOOST_TEST(!any_thread_stopped(target.pid()));
}

BOOST_AUTO_TEST_CASE(thread_consistency_has_the_address_but_reads_no_owner) {
  DetectTarget target("two");
  json snap = snapshot_json(target.pid(), {"--consistency", "thread"});
  const json& ta = thread_of(snap, target.threads.at("dl-a"));
  BOOST_REQUIRE_MESSAGE(ta.contains("wait"), ta.dump());
  BOOST_TEST(ta["wait"]["addr"] == dbg::hex(target.mutexes.at("M1")));
  BOOST_TEST(ta["wait"]["mutex_owner"].is_null());
  BOOST_TEST(!any_thread_stopped(target.pid()));
}

BOOST_AUTO_TEST_CASE(a_spinning_thread_waits_on_nothing) {
  DetectTarget target("spin");
  json snap = snapshot_json(target.pid(), {"--consistency", "process"});
  BOOST_TEST(!thread_of(snap, target.threads.at("dl-spin")).contains("wait"));
  BOOST_TEST(!any_thread_stopped(target.pid()));
}
