// The paging primitives of GET /api/v1/processes: the cursor's encoding round-trips every sort
// value exactly (doubles, a comm holding '|'), and refuses what is not one; TableSnapshot's
// orders tie by pid and first_after() continues after a cursor whether its process still exists
// or not.
#define BOOST_TEST_MODULE coordinator_process_cursor
#include <boost/test/unit_test.hpp>

#include "coordinator/api/process_cursor.hpp"
#include "coordinator/ranking/table_snapshot.hpp"

using namespace dbg::coord;
using ranking::SortKey;
using ranking::SortOrder;

namespace {

ranking::EntryPtr entry(int pid, double score, std::string comm) {
  ranking::RankedProcess p;
  p.process.pid = pid;
  p.process.comm = std::move(comm);
  p.score = score;
  return std::make_shared<const ranking::TableEntry>(std::move(p));
}

std::vector<int> pids_from(const ranking::TableSnapshot& snap, SortKey key, SortOrder order, std::size_t from) {
  std::vector<int> out;
  const auto& list = snap.ordered(key, order);
  for (std::size_t i = from; i < list.size(); ++i) out.push_back(list[i]->ranked.process.pid);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_cursor_round_trips_its_sort_and_value_exactly) {
  for (double v : {0.0, 0.1, 110.03, 1e-300, 123456789012345.0}) {
    auto back = api::decode_cursor(api::encode_cursor({SortKey::cpu, SortOrder::desc, v, 42}));
    BOOST_REQUIRE(back);
    BOOST_TEST(std::get<double>(back.value().value) == v);
    BOOST_TEST(back.value().pid == 42);
    BOOST_TEST((back.value().key == SortKey::cpu));
    BOOST_TEST((back.value().order == SortOrder::desc));
  }
  auto comm = api::decode_cursor(api::encode_cursor({SortKey::comm, SortOrder::asc, std::string("a|b c)"), 7}));
  BOOST_REQUIRE(comm);
  BOOST_TEST(std::get<std::string>(comm.value().value) == "a|b c)");
}

BOOST_AUTO_TEST_CASE(what_is_not_a_cursor_is_a_bad_request) {
  for (const std::string& bad : std::vector<std::string>{"", "!!", "MQ", "MnxwaWR8YXNjfDF8MQ" /* "2|pid|asc|1|1": another version */, std::string(600, 'A')}) {
    auto r = api::decode_cursor(bad);
    BOOST_TEST_INFO(bad.substr(0, 20));
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().code == "bad_request");
  }
  // Valid base64url, wrong fields: unknown sort, order, no pid, pid 0, a value that is no number, none, too few fields.
  for (const std::string& bad : std::vector<std::string>{"MXxuYW1lfGFzY3wxfDE", "MXxwaWR8dXB8MXwx", "MXxwaWR8YXNjfHh8MQ", "MXxwaWR8YXNjfDB8MQ", "MXxjcHV8YXNjfDF8bmFu", "MXxjcHV8YXNjfDF8", "MXxwaWR8YXNjfDE"}) {
    auto r = api::decode_cursor(bad);
    BOOST_TEST_INFO(bad);
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().code == "bad_request");
  }
}

BOOST_AUTO_TEST_CASE(orders_tie_by_pid_and_continue_after_a_cursor_that_may_be_gone) {
  ranking::TableSnapshot snap({entry(5, 1, "b"), entry(3, 2, "a"), entry(9, 1, "a"), entry(1, 0, "c")}, {});
  BOOST_TEST(pids_from(snap, SortKey::score, SortOrder::desc, 0) == std::vector<int>({3, 5, 9, 1}));
  BOOST_TEST(snap.by_rank()[0]->ranked.process.pid == 3);
  BOOST_TEST(pids_from(snap, SortKey::comm, SortOrder::asc, 0) == std::vector<int>({3, 9, 5, 1}));
  BOOST_TEST(pids_from(snap, SortKey::pid, SortOrder::desc, 0) == std::vector<int>({9, 5, 3, 1}));
  // After (score 1, pid 5): pid 9 (same score, higher pid), then 1.
  BOOST_TEST(pids_from(snap, SortKey::score, SortOrder::desc, snap.first_after(SortKey::score, SortOrder::desc, 1.0, 5)) ==
             std::vector<int>({9, 1}));
  // A cursor whose process is gone (score 1.5, pid 4) continues where it would have been.
  BOOST_TEST(pids_from(snap, SortKey::score, SortOrder::desc, snap.first_after(SortKey::score, SortOrder::desc, 1.5, 4)) ==
             std::vector<int>({5, 9, 1}));
  BOOST_TEST(snap.first_after(SortKey::pid, SortOrder::asc, 9.0, 9) == snap.size());
  BOOST_TEST(snap.find(9) != nullptr);
  BOOST_TEST(snap.find(4) == nullptr);
}
