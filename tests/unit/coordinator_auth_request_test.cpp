#define BOOST_TEST_MODULE coordinator_auth_request
#include <boost/test/unit_test.hpp>
// Unit test of request authentication without sockets: where a request may carry the token,
// the router's 401 in front of /api and /metrics, and the event stream's admission rules.
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "coordinator/auth/token.hpp"
#include "coordinator/http/events_endpoint.hpp"
#include "coordinator/http/query.hpp"
#include "coordinator/http/router.hpp"

using namespace dbg::coord;
using namespace dbg::coord::http;

namespace {

const std::string kToken = "0123456789abcdef0123456789abcdef";

HttpRequest request(std::string method, std::string target, std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  split_target(r.target, &r.path, &r.query);
  r.headers = std::move(headers);
  return r;
}

HttpResponse dispatch(const Router& router, HttpRequest r) {
  std::vector<HttpResponse> replies;
  router.dispatch(std::move(r), [&](HttpResponse response) { replies.push_back(std::move(response)); });
  BOOST_REQUIRE(replies.size() == 1u);
  return replies.front();
}

std::string header_of(const HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return {};
}

Router protected_router() {
  Router router;
  router.add("GET", "/healthz", [](const HttpRequest&) { return HttpResponse{}; });
  router.add("GET", "/metrics", [](const HttpRequest&) { return HttpResponse{}; });
  router.add("GET", "/api/v1/ping", [](const HttpRequest&) { return HttpResponse{}; });
  router.add("GET", "/apix", [](const HttpRequest&) { return HttpResponse{}; });
  router.set_auth(auth::token_check(kToken, false));
  return router;
}

std::pair<std::string, std::string> bearer(const std::string& token) { return {"Authorization", "Bearer " + token}; }

}  // namespace

BOOST_AUTO_TEST_SUITE(request_token)

BOOST_AUTO_TEST_CASE(bearer_header_is_read_with_any_scheme_case_and_spacing) {
  BOOST_TEST(*auth::request_token(request("GET", "/", {bearer(kToken)}), false) == kToken);
  BOOST_TEST(*auth::request_token(request("GET", "/", {{"authorization", "bearer " + kToken}}), false) == kToken);
  BOOST_TEST(*auth::request_token(request("GET", "/", {{"AUTHORIZATION", "BEARER   " + kToken + "  "}}), false) == kToken);
}

BOOST_AUTO_TEST_CASE(other_schemes_and_empty_bearer_carry_no_token) {
  BOOST_TEST(!auth::request_token(request("GET", "/", {{"Authorization", "Basic dXNlcjpwYXNz"}}), false));
  BOOST_TEST(!auth::request_token(request("GET", "/", {{"Authorization", "Bearer"}}), false));
  BOOST_TEST(!auth::request_token(request("GET", "/", {{"Authorization", "Bearer   "}}), false));
  BOOST_TEST(!auth::request_token(request("GET", "/", {{"Authorization", "Bearer" + kToken}}), false));
  BOOST_TEST(!auth::request_token(request("GET", "/"), false));
}

BOOST_AUTO_TEST_CASE(query_and_cookie_count_only_when_browser_forms_are_allowed) {
  auto in_query = request("GET", "/api/v1/events?topics=job&token=" + kToken);
  auto in_cookie = request("GET", "/api/v1/events", {{"Cookie", "theme=dark; dbgcoord_token=" + kToken + "; x=1"}});
  BOOST_TEST(!auth::request_token(in_query, false));
  BOOST_TEST(!auth::request_token(in_cookie, false));
  BOOST_TEST(*auth::request_token(in_query, true) == kToken);
  BOOST_TEST(*auth::request_token(in_cookie, true) == kToken);
}

BOOST_AUTO_TEST_CASE(query_token_is_percent_decoded_and_plus_kept) {
  BOOST_TEST(*auth::request_token(request("GET", "/e?token=ab%2Bcd+ef%3D"), true) == "ab+cd+ef=");
  BOOST_TEST(!auth::request_token(request("GET", "/e?token=abc%zz"), true));
  BOOST_TEST(!auth::request_token(request("GET", "/e?token="), true));
  BOOST_TEST(!auth::request_token(request("GET", "/e?xtoken=" + kToken), true));
}

BOOST_AUTO_TEST_CASE(quoted_cookie_value_and_second_cookie_header_are_read) {
  BOOST_TEST(*auth::request_token(request("GET", "/", {{"Cookie", "dbgcoord_token=\"" + kToken + "\""}}), true) == kToken);
  BOOST_TEST(*auth::request_token(request("GET", "/", {{"Cookie", "a=b"}, {"cookie", "dbgcoord_token=" + kToken}}), true) ==
             kToken);
  BOOST_TEST(!auth::request_token(request("GET", "/", {{"Cookie", "xdbgcoord_token=" + kToken}}), true));
}

BOOST_AUTO_TEST_CASE(header_wins_over_query_and_cookie) {
  auto r = request("GET", "/e?token=from-query", {{"Cookie", "dbgcoord_token=from-cookie"}, bearer("from-header")});
  BOOST_TEST(*auth::request_token(r, true) == "from-header");
  BOOST_TEST(*auth::request_token(request("GET", "/e?token=from-query", {{"Cookie", "dbgcoord_token=c"}}), true) ==
             "from-query");
}

BOOST_AUTO_TEST_CASE(token_check_accepts_exactly_the_token) {
  auto check = auth::token_check(kToken, false);
  BOOST_TEST(check(request("GET", "/", {bearer(kToken)})));
  BOOST_TEST(!check(request("GET", "/", {bearer(kToken + "x")})));
  BOOST_TEST(!check(request("GET", "/", {bearer(kToken.substr(1))})));
  BOOST_TEST(!check(request("GET", "/")));
  BOOST_TEST(!check(request("GET", "/?token=" + kToken)));
  BOOST_TEST(auth::token_check(kToken, true)(request("GET", "/?token=" + kToken)));
}

BOOST_AUTO_TEST_CASE(token_check_refuses_an_empty_or_short_expected_token) {
  BOOST_CHECK_THROW(auth::token_check("", false), std::invalid_argument);
  BOOST_CHECK_THROW(auth::token_check("short", true), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(router_auth)

BOOST_AUTO_TEST_CASE(api_and_metrics_without_token_get_401_problem_with_www_authenticate) {
  auto router = protected_router();
  for (const char* target : {"/api/v1/ping", "/api/v1/no/such/route", "/api", "/api/", "/metrics", "/metrics/x",
                             "/api/v1/ping?token=0123456789abcdef0123456789abcdef"}) {
    auto response = dispatch(router, request("GET", target));
    BOOST_TEST(response.status == 401u, target);
    BOOST_TEST(response.content_type == "application/problem+json");
    BOOST_TEST(header_of(response, "WWW-Authenticate").rfind("Bearer", 0) == 0u);
    auto body = nlohmann::json::parse(response.body);
    BOOST_TEST(body.at("title") == "Unauthorized");
    BOOST_TEST(body.at("status") == 401);
  }
}

BOOST_AUTO_TEST_CASE(unknown_api_route_and_wrong_method_say_401_before_404_or_405) {
  auto router = protected_router();
  BOOST_TEST(dispatch(router, request("DELETE", "/api/v1/ping")).status == 401u);
  BOOST_TEST(dispatch(router, request("GET", "/api/v1/nothing")).status == 401u);
  BOOST_TEST(dispatch(router, request("GET", "/api/v1/nothing", {bearer(kToken)})).status == 404u);
  BOOST_TEST(dispatch(router, request("DELETE", "/api/v1/ping", {bearer(kToken)})).status == 405u);
}

BOOST_AUTO_TEST_CASE(valid_token_reaches_the_route) {
  auto router = protected_router();
  BOOST_TEST(dispatch(router, request("GET", "/api/v1/ping", {bearer(kToken)})).status == 200u);
  BOOST_TEST(dispatch(router, request("HEAD", "/api/v1/ping", {bearer(kToken)})).status == 200u);
  BOOST_TEST(dispatch(router, request("GET", "/metrics", {bearer(kToken)})).status == 200u);
  BOOST_TEST(dispatch(router, request("GET", "/api/v1/ping", {bearer("wrong-token-wrong-token")})).status == 401u);
}

BOOST_AUTO_TEST_CASE(healthz_and_lookalike_prefixes_stay_open) {
  auto router = protected_router();
  BOOST_TEST(dispatch(router, request("GET", "/healthz")).status == 200u);
  BOOST_TEST(dispatch(router, request("GET", "/apix")).status == 200u);
  BOOST_TEST(dispatch(router, request("GET", "/")).status == 404u);
  BOOST_TEST(router.requires_auth("/api/v1/events"));
  BOOST_TEST(!router.requires_auth("/apiary"));
  BOOST_TEST(!router.requires_auth("/metricsx"));
}

BOOST_AUTO_TEST_CASE(router_without_set_auth_requires_nothing) {
  Router router;
  router.add("GET", "/api/v1/ping", [](const HttpRequest&) { return HttpResponse{}; });
  BOOST_TEST(dispatch(router, request("GET", "/api/v1/ping")).status == 200u);
}

BOOST_AUTO_TEST_CASE(custom_prefixes_replace_the_defaults) {
  Router router;
  router.add("GET", "/metrics", [](const HttpRequest&) { return HttpResponse{}; });
  router.set_auth(auth::token_check(kToken, false), {"/private"});
  BOOST_TEST(dispatch(router, request("GET", "/metrics")).status == 200u);
  BOOST_TEST(dispatch(router, request("GET", "/private/x")).status == 401u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(events_admission)

const auto kEventsAuth = auth::token_check(kToken, true);

HttpRequest upgrade(std::string target, std::vector<std::pair<std::string, std::string>> headers = {}) {
  headers.emplace_back("Host", "127.0.0.1:7070");
  return request("GET", std::move(target), std::move(headers));
}

unsigned status_of(const EventsAdmission& admission) { return admission.refusal ? admission.refusal->status : 101; }

BOOST_AUTO_TEST_CASE(token_is_required_in_any_form) {
  BOOST_TEST(status_of(admit_events_request(upgrade("/api/v1/events"), true, kEventsAuth)) == 401u);
  BOOST_TEST(status_of(admit_events_request(upgrade("/api/v1/events?token=bad-bad-bad-bad-bad"), true, kEventsAuth)) == 401u);
  BOOST_TEST(status_of(admit_events_request(upgrade("/api/v1/events?token=" + kToken), true, kEventsAuth)) == 101u);
  BOOST_TEST(status_of(admit_events_request(upgrade("/api/v1/events", {bearer(kToken)}), true, kEventsAuth)) == 101u);
  BOOST_TEST(status_of(admit_events_request(upgrade("/api/v1/events", {{"Cookie", "dbgcoord_token=" + kToken}}), true,
                                            kEventsAuth)) == 101u);
  // No check configured: closed, not open.
  BOOST_TEST(status_of(admit_events_request(upgrade("/api/v1/events?token=" + kToken), true, {})) == 401u);
}

BOOST_AUTO_TEST_CASE(plain_get_gets_426_and_other_methods_405) {
  auto plain = admit_events_request(upgrade("/api/v1/events?token=" + kToken), false, kEventsAuth);
  BOOST_TEST(status_of(plain) == 426u);
  BOOST_TEST(plain.refusal->content_type == "application/problem+json");
  BOOST_TEST(header_of(*plain.refusal, "Upgrade") == "websocket");
  auto post = upgrade("/api/v1/events?token=" + kToken);
  post.method = "POST";
  auto refused = admit_events_request(post, false, kEventsAuth);
  BOOST_TEST(status_of(refused) == 405u);
  BOOST_TEST(header_of(*refused.refusal, "Allow") == "GET");
}

BOOST_AUTO_TEST_CASE(foreign_origin_gets_403_and_same_origin_passes) {
  auto target = "/api/v1/events?token=" + kToken;
  BOOST_TEST(status_of(admit_events_request(upgrade(target, {{"Origin", "http://evil.example"}}), true, kEventsAuth)) == 403u);
  BOOST_TEST(status_of(admit_events_request(upgrade(target, {{"Origin", "null"}}), true, kEventsAuth)) == 403u);
  BOOST_TEST(status_of(admit_events_request(upgrade(target, {{"Origin", "http://127.0.0.1:7071"}}), true, kEventsAuth)) == 403u);
  BOOST_TEST(status_of(admit_events_request(upgrade(target, {{"Origin", "http://127.0.0.1:7070"}}), true, kEventsAuth)) == 101u);
  // No Origin: not a browser (curl, websocat), nothing to check.
  BOOST_TEST(status_of(admit_events_request(upgrade(target), true, kEventsAuth)) == 101u);
}

BOOST_AUTO_TEST_CASE(same_origin_compares_scheme_host_and_port) {
  BOOST_TEST(same_origin("http://127.0.0.1:7070", "127.0.0.1:7070"));
  BOOST_TEST(same_origin("HTTP://LocalHost:7070", "localhost:7070"));
  BOOST_TEST(same_origin("https://[::1]:7070", "[::1]:7070"));
  BOOST_TEST(!same_origin("http://127.0.0.1:7070", ""));
  BOOST_TEST(!same_origin("http://127.0.0.1", "127.0.0.1:7070"));
  BOOST_TEST(!same_origin("http://127.0.0.1:7070.evil.example", "127.0.0.1:7070"));
  BOOST_TEST(!same_origin("ws://127.0.0.1:7070", "127.0.0.1:7070"));
}

BOOST_AUTO_TEST_CASE(topics_filter_is_parsed_and_unknown_topics_refused) {
  auto base = "/api/v1/events?token=" + kToken;
  auto all = admit_events_request(upgrade(base), true, kEventsAuth);
  BOOST_TEST(all.topics.empty());
  auto some = admit_events_request(upgrade(base + "&topics=session,snapshot"), true, kEventsAuth);
  BOOST_TEST(status_of(some) == 101u);
  BOOST_TEST((some.topics == std::vector<std::string>{"session", "snapshot"}));
  auto encoded = admit_events_request(upgrade(base + "&topics=job%2Cworker"), true, kEventsAuth);
  BOOST_TEST((encoded.topics == std::vector<std::string>{"job", "worker"}));
  for (const char* bad : {"&topics=sessions", "&topics=", "&topics", "&topics=job,", "&topics=job,,batch", "&topics=%zz"}) {
    auto refused = admit_events_request(upgrade(base + bad), true, kEventsAuth);
    BOOST_TEST(status_of(refused) == 400u, bad);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(query_helpers_decode_and_find) {
  BOOST_TEST(*percent_decode("a%20b%2c") == "a b,");
  BOOST_TEST(!percent_decode("%4"));
  BOOST_TEST(!percent_decode("%"));
  BOOST_TEST(!percent_decode("%g0"));
  BOOST_TEST(*query_param("a=1&b=2", "b") == "2");
  BOOST_TEST(*query_param("a&b=2", "a") == "");
  BOOST_TEST(*query_param("a=1&a=2", "a") == "1");
  BOOST_TEST(!query_param("ab=1", "a"));
  BOOST_TEST(query_has("x=1&topics", "topics"));
  BOOST_TEST(!query_has("x=topics", "topics"));
}
