#define BOOST_TEST_MODULE coordinator_router
#include <boost/test/unit_test.hpp>
// Unit test of the router and the problem+json helper (no sockets).
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "coordinator/api/query.hpp"
#include "coordinator/http/problem.hpp"
#include "coordinator/http/query.hpp"
#include "coordinator/http/router.hpp"

using namespace dbg::coord::http;

namespace {

HttpRequest request(std::string method, std::string target) {
  HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  split_target(r.target, &r.path, &r.query);
  return r;
}

// Dispatches and returns every reply the router produced (there must be exactly one).
std::vector<HttpResponse> dispatch(const Router& router, HttpRequest r) {
  std::vector<HttpResponse> replies;
  router.dispatch(std::move(r), [&](HttpResponse response) { replies.push_back(std::move(response)); });
  return replies;
}

HttpResponse text(std::string body) {
  HttpResponse response;
  response.content_type = "text/plain";
  response.body = std::move(body);
  return response;
}

}  // namespace

BOOST_AUTO_TEST_CASE(exact_route_gets_request_with_query_split_off) {
  Router router;
  std::string seen_query;
  router.add("GET", "/a/b", [&](const HttpRequest& r) {
    seen_query = r.query;
    return text("ab");
  });
  auto replies = dispatch(router, request("GET", "/a/b?x=1&y=2"));
  BOOST_REQUIRE_EQUAL(replies.size(), 1u);
  BOOST_TEST(replies[0].status == 200u);
  BOOST_TEST(replies[0].body == "ab");
  BOOST_TEST(seen_query == "x=1&y=2");
}

BOOST_AUTO_TEST_CASE(parameter_segments_are_captured) {
  Router router;
  router.add("GET", "/api/v1/sessions/{id}/batches/{index}", [](const HttpRequest& r) {
    return text(r.params.at("id") + "," + r.params.at("index"));
  });
  auto replies = dispatch(router, request("GET", "/api/v1/sessions/s42/batches/3"));
  BOOST_REQUIRE_EQUAL(replies.size(), 1u);
  BOOST_TEST(replies[0].body == "s42,3");
  // An empty segment names nothing, and a trailing slash is a different path.
  BOOST_TEST(dispatch(router, request("GET", "/api/v1/sessions//batches/3"))[0].status == 404u);
  BOOST_TEST(dispatch(router, request("GET", "/api/v1/sessions/s/batches/3/"))[0].status == 404u);
}

BOOST_AUTO_TEST_CASE(literal_and_parameter_routes_coexist) {
  Router router;
  router.add("GET", "/errors/{id}", [](const HttpRequest& r) { return text("id " + r.params.at("id")); });
  router.add("POST", "/errors/events", [](const HttpRequest&) { return text("events"); });
  BOOST_TEST(dispatch(router, request("POST", "/errors/events"))[0].body == "events");
  BOOST_TEST(dispatch(router, request("GET", "/errors/events"))[0].body == "id events");
}

BOOST_AUTO_TEST_CASE(unknown_path_is_404_problem_json) {
  Router router;
  router.add("GET", "/healthz", [](const HttpRequest&) { return text("ok"); });
  auto replies = dispatch(router, request("GET", "/nope"));
  BOOST_REQUIRE_EQUAL(replies.size(), 1u);
  BOOST_TEST(replies[0].status == 404u);
  BOOST_TEST(replies[0].content_type == "application/problem+json");
  auto body = nlohmann::json::parse(replies[0].body);
  BOOST_TEST(body.at("type") == "about:blank");
  BOOST_TEST(body.at("title") == "Not Found");
  BOOST_TEST(body.at("status") == 404);
  BOOST_TEST(body.at("detail").get<std::string>().find("/nope") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(wrong_method_is_405_with_allow_listing_all_methods) {
  Router router;
  router.add("GET", "/things/{id}", [](const HttpRequest&) { return text("get"); });
  router.add("DELETE", "/things/{id}", [](const HttpRequest&) { return text("delete"); });
  auto replies = dispatch(router, request("PUT", "/things/1"));
  BOOST_REQUIRE_EQUAL(replies.size(), 1u);
  BOOST_TEST(replies[0].status == 405u);
  BOOST_TEST(replies[0].content_type == "application/problem+json");
  BOOST_REQUIRE_EQUAL(replies[0].headers.size(), 1u);
  BOOST_TEST(replies[0].headers[0].first == "Allow");
  BOOST_TEST(replies[0].headers[0].second == "GET, HEAD, DELETE");
}

BOOST_AUTO_TEST_CASE(head_is_served_by_get_route) {
  Router router;
  router.add("GET", "/healthz", [](const HttpRequest&) { return text("ok"); });
  auto replies = dispatch(router, request("HEAD", "/healthz"));
  BOOST_REQUIRE_EQUAL(replies.size(), 1u);
  BOOST_TEST(replies[0].status == 200u);
}

BOOST_AUTO_TEST_CASE(throwing_handler_becomes_one_500_problem) {
  Router router;
  router.add("GET", "/boom", [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("kaput"); });
  router.add_async("GET", "/twice", [](HttpRequest, Reply reply) {
    reply(text("first"));
    throw std::runtime_error("after replying");
  });
  auto boom = dispatch(router, request("GET", "/boom"));
  BOOST_REQUIRE_EQUAL(boom.size(), 1u);
  BOOST_TEST(boom[0].status == 500u);
  BOOST_TEST(boom[0].content_type == "application/problem+json");
  // The internal message is logged, not sent to the client.
  BOOST_TEST(boom[0].body.find("kaput") == std::string::npos);
  auto twice = dispatch(router, request("GET", "/twice"));
  BOOST_REQUIRE_EQUAL(twice.size(), 1u);
  BOOST_TEST(twice[0].body == "first");
}

BOOST_AUTO_TEST_CASE(async_handler_may_reply_later) {
  Router router;
  Reply saved;
  router.add_async("GET", "/later", [&](HttpRequest, Reply reply) { saved = std::move(reply); });
  std::vector<HttpResponse> replies;
  router.dispatch(request("GET", "/later"), [&](HttpResponse r) { replies.push_back(std::move(r)); });
  BOOST_TEST(replies.empty());
  saved(text("done"));
  saved(text("again"));  // ignored: at most one reply
  BOOST_REQUIRE_EQUAL(replies.size(), 1u);
  BOOST_TEST(replies[0].body == "done");
}

BOOST_AUTO_TEST_CASE(bad_patterns_and_duplicates_are_rejected_at_registration) {
  Router router;
  auto ok = [](const HttpRequest&) { return text(""); };
  BOOST_CHECK_THROW(router.add("GET", "no-slash", ok), std::invalid_argument);
  BOOST_CHECK_THROW(router.add("GET", "/x/{}", ok), std::invalid_argument);
  router.add("GET", "/x", ok);
  BOOST_CHECK_THROW(router.add("GET", "/x", ok), std::invalid_argument);
  BOOST_CHECK_NO_THROW(router.add("POST", "/x", ok));
}

BOOST_AUTO_TEST_CASE(problem_uses_status_phrase_as_title) {
  auto p = problem(413, "too big");
  BOOST_TEST(p.status == 413u);
  auto body = nlohmann::json::parse(p.body);
  BOOST_TEST(body.at("title") == "Content Too Large");
  BOOST_TEST(body.at("detail") == "too big");
  // Invalid UTF-8 in a detail (an echoed path, say) must not throw.
  BOOST_CHECK_NO_THROW(problem(404, "no resource at /\xff\xfe"));
}

// The one mechanism every /api route uses for its query: declared names pass, ?token= passes
// everywhere, anything else is bad_request naming the parameter and what is allowed.
BOOST_AUTO_TEST_CASE(query_names_outside_the_allowed_list_are_refused_with_the_list) {
  BOOST_TEST(!refuse_unknown_parameters("limit=5&match=x", {"limit", "match"}));
  BOOST_TEST(!refuse_unknown_parameters("token=T&limit=5", {"limit"}));
  BOOST_TEST(!refuse_unknown_parameters("", {}));
  BOOST_TEST(*refuse_unknown_parameters("lmit=5", {"limit", "match"}) ==
             "unknown query parameter \"lmit\" (allowed: limit, match)");
  BOOST_TEST(*refuse_unknown_parameters("_=123", {}) ==
             "unknown query parameter \"_\": this route takes no query parameters");
  BOOST_TEST(*refuse_unknown_parameters("li%6Dit=1&x", {"limit"}) == "unknown query parameter \"x\" (allowed: limit)");
  auto q = dbg::coord::api::parse_query("limit=5&x=1", {"limit"});
  BOOST_TEST(!q);
  BOOST_TEST(q.error().code == "bad_request");
  BOOST_TEST(dbg::coord::api::parse_query("limit=5&token=T", {"limit"}).value().at("limit") == "5");
  BOOST_TEST(!dbg::coord::api::parse_query("limit=1&limit=2", {"limit"}));  // repeated: still refused
}
