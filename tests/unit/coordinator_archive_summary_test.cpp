// ArchiveSummary: folding events, the JSON form and its inverse, merging, and the bounds that
// keep an archive small whatever it folds.
#define BOOST_TEST_MODULE coordinator_archive_summary
#include <boost/test/unit_test.hpp>

#include <map>
#include <nlohmann/json.hpp>

#include "coordinator/archive/archive_summary.hpp"

using namespace dbg::coord::archive;
using nlohmann::json;

namespace {

RawEvent event(int64_t id, int64_t ts, std::string message, int64_t pid = 7) {
  RawEvent e;
  e.id = id;
  e.group_id = 3;
  e.received_at = ts + 5;
  e.timestamp = ts;
  e.source = "api";
  e.kind = "reported";
  e.type = "std::out_of_range";
  e.message = std::move(message);
  e.pid = pid;
  e.comm = "shop";
  e.stack_id = 11;
  e.context_json = R"({"request":)" + std::to_string(id) + "}";
  return e;
}

std::map<std::string, int64_t> messages_of(const json& summary) {
  std::map<std::string, int64_t> out;
  for (const auto& m : summary.at("messages").at("values")) out[m.at("message")] = m.at("count");
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(folding_counts_every_event_and_keeps_three_samples) {
  ArchiveSummary s(3, 3'600'000, 7'200'000);
  int64_t raw = 0;
  for (int i = 0; i < 10; ++i) {
    auto e = event(100 + i, 3'600'000 + 1000 * (9 - i), "m" + std::to_string(i % 4), 40 + i % 2);
    raw += raw_size(e);
    s.add(e);
  }
  json j = s.to_json();
  BOOST_TEST(j.at("event_count") == 10);
  BOOST_TEST(j.at("first_seen") == 3'600'000);
  BOOST_TEST(j.at("last_seen") == 3'609'000);
  BOOST_TEST(j.at("raw_bytes") == raw);
  BOOST_TEST((messages_of(j) == std::map<std::string, int64_t>{{"m0", 3}, {"m1", 3}, {"m2", 2}, {"m3", 2}}));
  BOOST_TEST(j.at("pids").at("distinct") == 2);
  BOOST_TEST(j.at("types").at("values").at(0).at("count") == 10);
  BOOST_TEST(j.at("samples").size() == kMaxSamples);
  BOOST_TEST(j.at("samples").at(0).at("context").at("request") == 100);  // parsed, not a string
  // Most frequent first.
  BOOST_TEST(j.at("messages").at("values").at(0).at("count") == 3);
}

BOOST_AUTO_TEST_CASE(json_round_trip_and_merge_add_up) {
  ArchiveSummary a(3, 0, 60'000);
  for (int i = 0; i < 4; ++i) a.add(event(i + 1, 1000 + i, "first"));
  auto back = ArchiveSummary::from_json(a.to_json());
  BOOST_REQUIRE(back.ok());
  BOOST_TEST(back.value().to_json() == a.to_json());

  ArchiveSummary later(3, 0, 60'000);
  later.add(event(50, 500, "second"));
  later.add(event(51, 59'000, "first"));
  ArchiveSummary merged = back.value();
  merged.merge(later);
  json j = merged.to_json();
  BOOST_TEST(j.at("event_count") == 6);
  BOOST_TEST(j.at("first_seen") == 500);
  BOOST_TEST(j.at("last_seen") == 59'000);
  BOOST_TEST(j.at("raw_bytes") == a.raw_bytes() + later.raw_bytes());
  BOOST_TEST((messages_of(j) == std::map<std::string, int64_t>{{"first", 5}, {"second", 1}}));
  BOOST_TEST(j.at("samples").size() == kMaxSamples);
  BOOST_TEST(j.at("samples").at(0).at("id") == 1);  // the earlier summary's samples come first
}

BOOST_AUTO_TEST_CASE(distinct_values_are_bounded_and_the_rest_still_counted) {
  ArchiveSummary s(1, 0, 1);
  for (std::size_t i = 0; i < kMaxDistinct + 5; ++i) s.add(event(static_cast<int64_t>(i) + 1, 0, "m" + std::to_string(i)));
  json j = s.to_json();
  BOOST_TEST(j.at("messages").at("distinct") == kMaxDistinct);
  BOOST_TEST(j.at("messages").at("other") == 5);
  BOOST_TEST(j.at("event_count") == kMaxDistinct + 5);
  auto back = ArchiveSummary::from_json(j);
  BOOST_REQUIRE(back.ok());
  BOOST_TEST(back.value().to_json().at("messages").at("other") == 5);
}

BOOST_AUTO_TEST_CASE(a_document_that_is_not_a_summary_is_refused) {
  for (const json& bad : {json(nullptr), json::array(), json{{"group_id", 1}},
                          [] {
                            ArchiveSummary s(1, 0, 1);
                            s.add(event(1, 0, "x"));
                            json j = s.to_json();
                            j["messages"]["values"][0]["count"] = "many";
                            return j;
                          }()}) {
    auto r = ArchiveSummary::from_json(bad);
    BOOST_TEST(!r.ok());
    if (!r.ok()) BOOST_TEST(r.error().code == "corrupt");
  }
}

BOOST_AUTO_TEST_CASE(windows_are_floored) {
  BOOST_TEST(window_start_of(7'199'999, 3'600'000) == 3'600'000);
  BOOST_TEST(window_start_of(7'200'000, 3'600'000) == 7'200'000);
  BOOST_TEST(window_start_of(0, 60'000) == 0);
  BOOST_TEST(window_start_of(-1, 60'000) == -60'000);
}
