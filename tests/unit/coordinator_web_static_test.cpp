#define BOOST_TEST_MODULE coordinator_web_static
#include <boost/test/unit_test.hpp>
// Unit test of the dashboard's static serving (no sockets): routes, headers, 304s, and that the
// embedded web/ holds the page and only types we can label.
#include <array>
#include <string>

#include "coordinator/http/router.hpp"
#include "coordinator/web/static_files.hpp"

using namespace dbg::coord;
using http::HttpRequest;
using http::HttpResponse;

namespace {

HttpRequest get(std::string target, std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpRequest r;
  r.method = "GET";
  r.target = std::move(target);
  http::split_target(r.target, &r.path, &r.query);
  r.headers = std::move(headers);
  return r;
}

HttpResponse dispatch(const http::Router& router, HttpRequest r) {
  std::vector<HttpResponse> replies;
  router.dispatch(std::move(r), [&](HttpResponse response) { replies.push_back(std::move(response)); });
  BOOST_REQUIRE_EQUAL(replies.size(), 1u);
  return replies.front();
}

std::string header(const HttpResponse& r, const std::string& name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return "";
}

// Static storage: the routes keep references to the files, as they do to the generated table.
const std::array<web::EmbeddedFile, 3> kFiles = {{
    {"/index.html", "<!doctype html><title>t</title>"},
    {"/js/main.js", "export const x = 1;"},
    {"/css/app.css", "body{}"},
}};

http::Router router_with_token_check() {
  http::Router router;
  web::add_static_routes(router, kFiles);
  // As in app.cpp: every /api path needs the token; the static files must not.
  router.set_auth([](const HttpRequest&) { return false; });
  return router;
}

}  // namespace

BOOST_AUTO_TEST_CASE(root_serves_index_without_a_token_with_strict_headers) {
  auto router = router_with_token_check();
  auto r = dispatch(router, get("/?token=abc"));
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body == "<!doctype html><title>t</title>");
  BOOST_TEST(r.content_type == "text/html; charset=utf-8");
  BOOST_TEST(header(r, "Content-Security-Policy") == std::string(web::kContentSecurityPolicy));
  BOOST_TEST(header(r, "Content-Security-Policy").find("'unsafe-inline'") == std::string::npos);
  BOOST_TEST(header(r, "Cache-Control") == "no-cache");
  BOOST_TEST(header(r, "X-Content-Type-Options") == "nosniff");
  BOOST_TEST(header(r, "Referrer-Policy") == "no-referrer");
  BOOST_TEST(!header(r, "ETag").empty());
}

BOOST_AUTO_TEST_CASE(each_file_gets_its_content_type) {
  auto router = router_with_token_check();
  BOOST_TEST(dispatch(router, get("/js/main.js")).content_type == "text/javascript; charset=utf-8");
  BOOST_TEST(dispatch(router, get("/css/app.css")).content_type == "text/css; charset=utf-8");
  BOOST_TEST(dispatch(router, get("/index.html")).status == 200u);
}

BOOST_AUTO_TEST_CASE(unknown_paths_are_404_and_api_still_needs_the_token) {
  auto router = router_with_token_check();
  BOOST_TEST(dispatch(router, get("/nope.js")).status == 404u);
  BOOST_TEST(dispatch(router, get("/js/")).status == 404u);
  BOOST_TEST(dispatch(router, get("/api/v1/processes")).status == 401u);
}

BOOST_AUTO_TEST_CASE(matching_if_none_match_gets_304_without_body) {
  auto router = router_with_token_check();
  auto etag = header(dispatch(router, get("/js/main.js")), "ETag");
  auto r = dispatch(router, get("/js/main.js", {{"If-None-Match", "\"other\", W/" + etag}}));
  BOOST_TEST(r.status == 304u);
  BOOST_TEST(r.body.empty());
  BOOST_TEST(header(r, "ETag") == etag);
  BOOST_TEST(dispatch(router, get("/js/main.js", {{"If-None-Match", "\"other\""}})).status == 200u);
}

BOOST_AUTO_TEST_CASE(a_file_of_unknown_type_is_refused_at_start) {
  static const std::array<web::EmbeddedFile, 1> bad = {{{"/logo.png", "x"}}};
  http::Router router;
  BOOST_CHECK_THROW(web::add_static_routes(router, bad), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(the_embedded_dashboard_has_its_page_and_only_known_types) {
  bool has_index = false;
  for (const auto& f : web::embedded_files()) {
    BOOST_TEST(!web::content_type_for(f.path).empty(), f.path);
    BOOST_TEST(!f.content.empty(), f.path);
    has_index |= f.path == "/index.html";
  }
  BOOST_TEST(has_index);
  http::Router router;
  web::add_static_routes(router);  // no duplicate or malformed route among them
}
