// POST /api/v1/sessions bodies: what is accepted, and what is refused with which code.
#define BOOST_TEST_MODULE coordinator_session_request
#include <boost/test/unit_test.hpp>

#include "coordinator/api/query.hpp"
#include "coordinator/sessions/session_request.hpp"

using namespace dbg::coord;

BOOST_AUTO_TEST_CASE(accepts_each_target_selector) {
  auto pids = sessions::parse_session_request(R"({"kind":"snapshot","targets":{"pids":[3,4,3]}})");
  BOOST_REQUIRE(pids.ok());
  BOOST_TEST((pids->pids == std::vector<int>{3, 4}));  // duplicates dropped, order kept
  auto match = sessions::parse_session_request(R"({"targets":{"match":"^nginx"},"options":{"max_depth":20,"deadline_ms":5000}})");
  BOOST_REQUIRE(match.ok());
  BOOST_TEST(*match->match == "^nginx");
  BOOST_TEST(match->snapshot_options.max_depth == 20);
  BOOST_TEST(match->deadline_ms == 5000);
  auto all = sessions::parse_session_request(R"({"targets":{"all":true}})");
  BOOST_REQUIRE(all.ok());
  BOOST_TEST(all->all);
}

BOOST_AUTO_TEST_CASE(refuses_bad_bodies_with_a_reason) {
  const char* bad[] = {
      "", "[]", "{", R"({})", R"({"targets":{}})", R"({"targets":{"pids":[]}})", R"({"targets":{"pids":[0]}})",
      R"({"targets":{"pids":[1.5]}})", R"({"targets":{"pids":[1],"all":true}})", R"({"targets":{"all":false}})",
      R"({"targets":{"match":""}})", R"({"targets":{"match":"[a-"}})", R"({"targets":{"host":"x"}})",
      R"({"targets":{"all":true},"kind":"dance"})", R"({"targets":{"all":true},"options":{"deadline_ms":5}})",
      R"({"targets":{"all":true},"options":{"consistency":"eventual"}})", R"({"targets":{"all":true},"extra":1})",
  };
  for (const char* body : bad) {
    auto r = sessions::parse_session_request(body);
    BOOST_TEST_INFO(body);
    BOOST_TEST(!r.ok());
    if (!r.ok()) BOOST_TEST(r.error().code == "bad_request");
  }
  auto profile = sessions::parse_session_request(R"({"kind":"profile","targets":{"all":true}})");
  BOOST_REQUIRE(!profile.ok());
  BOOST_TEST(profile.error().code == "unsupported_kind");
}

BOOST_AUTO_TEST_CASE(query_strings_are_decoded_and_checked) {
  auto q = api::parse_query("format=text&match=%5Enginx%24&re=a+b");
  BOOST_REQUIRE(q.ok());
  BOOST_TEST(q->at("match") == "^nginx$");
  BOOST_TEST(q->at("re") == "a+b");  // '+' is a regex quantifier here, not a space
  BOOST_TEST(!api::parse_query("x=%zz").ok());
  BOOST_TEST(!api::parse_query("x=%4").ok());
  BOOST_TEST(!api::parse_query("x=1&x=2").ok());
  BOOST_TEST(api::int_param(*q, "limit", 7, 1, 10).value() == 7);
  auto bad = api::parse_query("limit=11");
  BOOST_TEST(!api::int_param(*bad, "limit", 7, 1, 10).ok());
}
