// POST /api/v1/sessions bodies: what is accepted, and what is refused with which code.
#define BOOST_TEST_MODULE coordinator_session_request
#include <boost/test/unit_test.hpp>

#include "coordinator/api/query.hpp"
#include "coordinator/budget/shedding.hpp"
#include "coordinator/sessions/session_admission.hpp"
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
}

BOOST_AUTO_TEST_CASE(profile_requests_are_validated_with_clear_messages) {
  auto ok = sessions::parse_session_request(
      R"({"kind":"profile","targets":{"pids":[42]},"options":{"hz":99,"duration_s":10,"max_overhead_pct":2,"max_depth":128}})");
  BOOST_REQUIRE(ok.ok());
  BOOST_TEST(ok->profile_options.hz == 99);
  BOOST_TEST(ok->profile_options.duration_s == 10);
  BOOST_TEST(ok->profile_options.max_overhead_pct == 2);
  BOOST_TEST(ok->profile_options.include_idle);
  BOOST_TEST((ok->profile_options.sampler == dbg::SamplerChoice::kAuto));
  for (const auto& [name, choice] : {std::pair{"auto", dbg::SamplerChoice::kAuto}, std::pair{"perf", dbg::SamplerChoice::kPerf},
                                     std::pair{"ptrace", dbg::SamplerChoice::kPtrace}}) {
    auto chosen = sessions::parse_session_request(std::string(R"({"kind":"profile","targets":{"pids":[42]},"options":{"sampler":")") +
                                                  name + R"("}})");
    BOOST_REQUIRE(chosen.ok());
    BOOST_TEST((chosen->profile_options.sampler == choice));
    BOOST_TEST(dbg::sampler_choice_name(choice) == std::string(name));
  }
  struct Case {
    const char* body;
    const char* says;
  };
  const Case bad[] = {
      {R"({"kind":"profile","targets":{"all":true},"options":{"hz":0}})", "hz must be an integer in 1..1000"},
      {R"({"kind":"profile","targets":{"all":true},"options":{"hz":1001}})", "hz must be an integer in 1..1000"},
      {R"({"kind":"profile","targets":{"all":true},"options":{"hz":9.5}})", "hz must be an integer"},
      {R"({"kind":"profile","targets":{"all":true},"options":{"duration_s":0}})", "duration_s"},
      {R"({"kind":"profile","targets":{"all":true},"options":{"duration_s":-1}})", "duration_s"},
      {R"({"kind":"profile","targets":{"all":true},"options":{"max_overhead_pct":0}})", "max_overhead_pct"},
      {R"({"kind":"profile","targets":{"all":true},"options":{"include_idle":"yes"}})", "include_idle"},
      {R"({"kind":"profile","targets":{"all":true},"options":{"max_bytes":100000000}})", "max_bytes"},
      {R"({"kind":"profile","targets":{"all":true},"options":{"consistency":"process"}})", "unknown profile option"},
      {R"({"kind":"profile","targets":{"all":true},"options":{"sampler":"ebpf"}})", "sampler must be \"auto\", \"perf\" or \"ptrace\""},
      {R"({"kind":"profile","targets":{"all":true},"options":{"sampler":1}})", "sampler must be"},
      {R"({"kind":"profile","targets":{"all":true},"options":{"sampler":"Perf"}})", "sampler must be"},
      {R"({"kind":"snapshot","targets":{"all":true},"options":{"hz":99}})", "unknown snapshot option"},
      {R"({"kind":"flame","targets":{"all":true}})", "unknown kind"},
  };
  for (const auto& c : bad) {
    auto r = sessions::parse_session_request(c.body);
    BOOST_TEST_INFO(c.body);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().code == "bad_request");
    BOOST_TEST(r.error().message.find(c.says) != std::string::npos, r.error().message);
  }
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

BOOST_AUTO_TEST_CASE(admission_refuses_new_sessions_over_budget_and_counts_it) {
  BOOST_TEST(!sessions::refuse_when_over_budget(nullptr).has_value());
  budget::Shedding shedding;
  shedding.set_stage(2);
  BOOST_TEST(!sessions::refuse_when_over_budget(&shedding).has_value());
  shedding.set_stage(3);
  shedding.set_retry_after_s(7);
  auto refusal = sessions::refuse_when_over_budget(&shedding);
  BOOST_REQUIRE(refusal.has_value());
  BOOST_TEST(refusal->retry_after_s == 7);
  BOOST_TEST(refusal->message.find("over its memory or CPU budget") != std::string::npos);
  BOOST_TEST(shedding.refused() == 1u);
}

BOOST_AUTO_TEST_CASE(admission_caps_a_profile_rate_under_pressure_and_counts_it) {
  auto profile = sessions::parse_session_request(R"({"kind":"profile","targets":{"pids":[42]},"options":{"hz":99}})");
  auto snapshot = sessions::parse_session_request(R"({"targets":{"pids":[42]}})");
  BOOST_REQUIRE(profile.ok());
  BOOST_REQUIRE(snapshot.ok());
  budget::Shedding shedding;
  sessions::cap_profile_rate(&shedding, profile.value());  // stage 0: untouched
  BOOST_TEST(profile->profile_options.hz == 99);
  shedding.set_stage(1);
  sessions::cap_profile_rate(&shedding, profile.value());
  BOOST_TEST(profile->profile_options.hz == 49);
  BOOST_TEST(profile->options.at("hz") == 49);  // what the worker gets and the session shows
  sessions::cap_profile_rate(&shedding, snapshot.value());
  BOOST_TEST(!snapshot->options.contains("hz"));
  BOOST_TEST(shedding.capped() == 1u);
  sessions::cap_profile_rate(nullptr, profile.value());
  BOOST_TEST(profile->profile_options.hz == 49);
}
