// The paging primitives of GET /api/v1/processes: the cursor's encoding round-trips every sort
// value exactly (doubles, a comm holding '|'), and refuses what is not one; TableSnapshot's
// orders tie by pid and first_after() continues after a cursor whether its process still exists
// or not; the pages of a listing, cut from the table version its cursor names (PinnedSnapshots),
// list every process exactly once while the values under the sort change between pages.
#define BOOST_TEST_MODULE coordinator_process_cursor
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>

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

ranking::EntryPtr scored(int pid, double score) { return entry(pid, score, "p" + std::to_string(pid)); }

// A table version: pids 1..n, process i scored score(i).
template <typename Score>
std::shared_ptr<const ranking::TableSnapshot> version(std::uint64_t generation, int n, Score score) {
  std::vector<ranking::EntryPtr> entries;
  for (int pid = 1; pid <= n; ++pid) entries.push_back(scored(pid, score(pid)));
  ranking::TableInfo info;
  info.generation = generation;
  return std::make_shared<const ranking::TableSnapshot>(std::move(entries), info);
}

struct Page {
  std::vector<int> pids;
  std::string next;  // "" on the last page
  std::string how;   // latest, kept, expired: as the route answers
};

// One GET /api/v1/processes?sort=score&limit=LIMIT&cursor=CURSOR the way process_routes.cpp cuts
// it: from the version the cursor names while it is kept, else from `latest` by (value, pid).
Page page_of(api::PinnedSnapshots* pinned, const std::shared_ptr<const ranking::TableSnapshot>& latest,
             const std::string& cursor_text, std::size_t limit) {
  std::shared_ptr<const ranking::TableSnapshot> snap = latest;
  Page out{{}, "", "latest"};
  std::size_t i = 0;
  if (!cursor_text.empty()) {
    auto cursor = api::decode_cursor(cursor_text);
    BOOST_REQUIRE(cursor);
    out.how = "expired";
    if (pinned) {
      if (auto kept = pinned->find(cursor.value().generation)) {
        snap = kept;
        out.how = "kept";
      }
    }
    i = snap->first_after(SortKey::score, SortOrder::desc, cursor.value().value, cursor.value().pid);
  }
  const auto& list = snap->ordered(SortKey::score, SortOrder::desc);
  const ranking::TableEntry* last = nullptr;
  for (; i < list.size() && out.pids.size() < limit; ++i) {
    out.pids.push_back(list[i]->ranked.process.pid);
    last = list[i];
  }
  if (last && i < list.size()) {
    out.next = api::encode_cursor({SortKey::score, SortOrder::desc, last->ranked.score, last->ranked.process.pid,
                                   snap->info().generation});
    if (pinned) pinned->pin(snap);
  }
  return out;
}

// Pages through 100 processes, 10 at a time, while every page's request sees a newer table in
// which the order turned over: whatever was listed sank to the bottom and what was not listed
// yet rose above it (the worst case for keyset paging over the latest values alone).
std::map<int, int> listed_while_values_change(api::PinnedSnapshots* pinned, std::vector<std::string>* hows) {
  constexpr int n = 100;
  std::map<int, int> seen;  // pid -> times listed
  std::uint64_t generation = 1;
  auto latest = version(generation, n, [](int pid) { return 1000.0 - pid; });
  std::string cursor;
  for (int round = 0; round < 50; ++round) {
    Page p = page_of(pinned, latest, cursor, 10);
    hows->push_back(p.how);
    for (int pid : p.pids) ++seen[pid];
    if (p.next.empty()) break;
    cursor = p.next;
    // A refresh before the next request: listed processes score low now, the others high, and
    // they swap places among themselves too.
    latest = version(++generation, n, [&](int pid) {
      return seen.count(pid) ? static_cast<double>(pid % 7) : 500.0 + static_cast<double>((pid * 37 + generation * 13) % 101);
    });
  }
  return seen;
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

BOOST_AUTO_TEST_CASE(a_cursor_names_its_table_version_and_a_version_1_cursor_is_still_read) {
  auto back = api::decode_cursor(api::encode_cursor({SortKey::rss, SortOrder::desc, 4096.0, 17, 123456789012ULL}));
  BOOST_REQUIRE(back);
  BOOST_TEST(back.value().generation == 123456789012ULL);
  BOOST_TEST(back.value().pid == 17);
  BOOST_TEST(std::get<double>(back.value().value) == 4096.0);
  // "1|rss|desc|4242|48234496", as version 1 wrote it: no generation (continues on the latest table).
  auto v1 = api::decode_cursor("MXxyc3N8ZGVzY3w0MjQyfDQ4MjM0NDk2");
  BOOST_REQUIRE(v1);
  BOOST_TEST(v1.value().generation == 0u);
  BOOST_TEST(v1.value().pid == 4242);
  BOOST_TEST(std::get<double>(v1.value().value) == 48234496.0);
  // "3|1|pid|asc|1|1": an unknown version; "2|x|pid|asc|1|1": no generation.
  for (const std::string& bad : {std::string("M3wxfHBpZHxhc2N8MXwx"), std::string("Mnx4fHBpZHxhc2N8MXwx")}) {
    auto r = api::decode_cursor(bad);
    BOOST_TEST_INFO(bad);
    BOOST_TEST(!r);
  }
}

BOOST_AUTO_TEST_CASE(pages_cut_from_the_kept_version_list_every_process_once_while_values_change) {
  api::PinnedSnapshots pinned;
  std::vector<std::string> hows;
  auto seen = listed_while_values_change(&pinned, &hows);
  BOOST_TEST(seen.size() == 100u);  // none missed
  for (const auto& [pid, times] : seen) {
    BOOST_TEST_INFO("pid " << pid);
    BOOST_TEST(times == 1);  // none twice
  }
  BOOST_TEST(hows.size() == 10u);
  BOOST_TEST(hows.front() == "latest");
  BOOST_TEST(std::count(hows.begin(), hows.end(), "kept") == 9);
  BOOST_TEST(pinned.size() == 1u);  // the listing's one version, not one per page
}

BOOST_AUTO_TEST_CASE(keyset_paging_over_the_latest_values_alone_repeats_and_skips_processes) {
  // What the kept version is for: the same listing without it (every cursor "expired").
  std::vector<std::string> hows;
  auto seen = listed_while_values_change(nullptr, &hows);
  int repeated = 0;
  for (const auto& [pid, times] : seen) repeated += times > 1;
  const auto missed = 100 - seen.size();
  BOOST_TEST_MESSAGE("keyset over the latest values: " << missed << " missed, " << repeated << " repeated");
  BOOST_TEST(missed > 0u);   // those that rose above the cursor after it passed them
  BOOST_TEST(repeated > 0);  // those that sank below it after they were listed
  BOOST_TEST(std::count(hows.begin(), hows.end(), "expired") == static_cast<long>(hows.size()) - 1);
}

BOOST_AUTO_TEST_CASE(a_kept_version_expires_after_its_time_and_the_oldest_goes_first_when_full) {
  using namespace std::chrono_literals;
  api::PinnedSnapshots pinned(60s, 2);
  const auto t0 = api::PinnedSnapshots::Clock::now();
  auto v1 = version(1, 3, [](int pid) { return double(pid); });
  auto v2 = version(2, 3, [](int pid) { return double(pid); });
  auto v3 = version(3, 3, [](int pid) { return double(pid); });
  pinned.pin(v1, t0);
  pinned.pin(v1, t0 + 10s);  // kept already: its time is not extended
  BOOST_TEST(pinned.find(1, t0 + 59s) == v1);
  BOOST_TEST(pinned.find(1, t0 + 60s) == nullptr);  // 60 s after it was first kept
  pinned.pin(v1, t0 + 61s);
  pinned.pin(v2, t0 + 62s);
  pinned.pin(v3, t0 + 63s);  // full: v1 goes
  BOOST_TEST(pinned.find(1, t0 + 63s) == nullptr);
  BOOST_TEST(pinned.find(2, t0 + 63s) == v2);
  BOOST_TEST(pinned.find(3, t0 + 63s) == v3);
  BOOST_TEST(pinned.size() == 2u);
}
