#define BOOST_TEST_MODULE coordinator_http
#include <boost/test/unit_test.hpp>
// The HTTP surface of a real dbgcoord on an ephemeral loopback port: /healthz, problem+json
// errors, keep-alive and the request limits.
#include <fstream>

#include <nlohmann/json.hpp>

#include "coordinator_test_client.hpp"

using namespace dbg::coord::test;

namespace {

struct RunningServer {
  TempDir dir;
  Coordinator server = start_coordinator_in(dir.path() / "data");
};

void check_problem(const HttpReply& reply, int status, const std::string& title) {
  BOOST_TEST(reply.status == status);
  BOOST_TEST(reply.header("content-type") == "application/problem+json");
  auto body = nlohmann::json::parse(reply.body);
  BOOST_TEST(body.at("type") == "about:blank");
  BOOST_TEST(body.at("title") == title);
  BOOST_TEST(body.at("status") == status);
  BOOST_TEST(body.at("detail").get<std::string>().size() > 0u);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(http, RunningServer)

BOOST_AUTO_TEST_CASE(get_healthz_returns_200_json_with_status_ok_version_and_uptime) {
  auto reply = http_request(server.port, "GET", "/healthz");
  BOOST_TEST(reply.status == 200);
  BOOST_TEST(reply.header("content-type") == "application/json");
  auto body = nlohmann::json::parse(reply.body);
  BOOST_TEST(body.at("status") == "ok");
  BOOST_TEST(body.at("version").is_string());
  BOOST_TEST(!body.at("version").get<std::string>().empty());
  BOOST_TEST(body.at("uptime_s").is_number_integer());
  BOOST_TEST(body.at("uptime_s").get<long>() >= 0);
}

BOOST_AUTO_TEST_CASE(unknown_path_returns_404_problem_json) {
  check_problem(http_request(server.port, "GET", "/no/such/thing"), 404, "Not Found");
}

BOOST_AUTO_TEST_CASE(healthz_with_query_string_is_still_healthz) {
  BOOST_TEST(http_request(server.port, "GET", "/healthz?verbose=1").status == 200);
}

BOOST_AUTO_TEST_CASE(post_healthz_returns_405_problem_json_with_allow) {
  auto reply = http_request(server.port, "POST", "/healthz", "{}");
  check_problem(reply, 405, "Method Not Allowed");
  BOOST_TEST(reply.header("allow").find("GET") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(head_healthz_returns_headers_without_body) {
  HttpConnection connection(server.port);
  connection.expect_head_response(true);
  connection.send_request("HEAD", "/healthz");
  auto reply = connection.read_response();
  BOOST_REQUIRE(reply);
  BOOST_TEST(reply->status == 200);
  BOOST_TEST(std::stoul(reply->header("content-length")) > 0u);
  // Nothing after the header block: the next response starts right away.
  connection.expect_head_response(false);
  connection.send_request("GET", "/healthz");
  auto next = connection.read_response();
  BOOST_REQUIRE(next);
  BOOST_TEST(next->status == 200);
}

BOOST_AUTO_TEST_CASE(keep_alive_connection_serves_several_requests) {
  HttpConnection connection(server.port);
  for (int i = 0; i < 3; ++i) {
    connection.send_request("GET", i == 1 ? "/missing" : "/healthz");
    auto reply = connection.read_response();
    BOOST_REQUIRE(reply);
    BOOST_TEST(reply->status == (i == 1 ? 404 : 200));
  }
}

BOOST_AUTO_TEST_CASE(pipelined_requests_are_answered_in_order) {
  HttpConnection connection(server.port);
  connection.send_raw(
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
  auto first = connection.read_response();
  auto second = connection.read_response();
  BOOST_REQUIRE(first);
  BOOST_REQUIRE(second);
  BOOST_TEST(first->status == 200);
  BOOST_TEST(second->status == 404);
}

BOOST_AUTO_TEST_CASE(connection_close_request_is_closed_after_response) {
  HttpConnection connection(server.port);
  connection.send_request("GET", "/healthz", {}, {"Connection: close"});
  auto reply = connection.read_response();
  BOOST_REQUIRE(reply);
  BOOST_TEST(reply->status == 200);
  BOOST_TEST(connection.closed_by_peer());
}

BOOST_AUTO_TEST_CASE(body_over_one_mib_returns_413_and_closes) {
  HttpConnection connection(server.port);
  // Announced length over the limit: refused from the header alone, before any body is sent.
  connection.send_raw("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n");
  auto reply = connection.read_response();
  BOOST_REQUIRE(reply);
  check_problem(*reply, 413, "Content Too Large");
  BOOST_TEST(connection.closed_by_peer());
}

BOOST_AUTO_TEST_CASE(body_within_limit_is_accepted) {
  // 512 KiB to a route that exists only for GET: the request is read whole and routed (405),
  // not refused for its size.
  auto reply = http_request(server.port, "POST", "/healthz", std::string(512 * 1024, 'x'));
  BOOST_TEST(reply.status == 405);
}

BOOST_AUTO_TEST_CASE(expect_100_continue_gets_go_ahead) {
  HttpConnection connection(server.port);
  connection.send_raw("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  auto interim = connection.read_response(2s);
  BOOST_REQUIRE(interim);
  BOOST_TEST(interim->status == 100);
  connection.send_raw("{}");
  auto reply = connection.read_response();
  BOOST_REQUIRE(reply);
  BOOST_TEST(reply->status == 405);
}

BOOST_AUTO_TEST_CASE(header_block_over_8_kib_returns_431_and_closes) {
  HttpConnection connection(server.port);
  connection.send_request("GET", "/healthz", {}, {"X-Padding: " + std::string(9000, 'a')});
  auto reply = connection.read_response();
  BOOST_REQUIRE(reply);
  check_problem(*reply, 431, "Request Header Fields Too Large");
  BOOST_TEST(connection.closed_by_peer());
}

BOOST_AUTO_TEST_CASE(garbage_request_returns_400_and_closes) {
  HttpConnection connection(server.port);
  connection.send_raw("THIS IS NOT HTTP\r\n\r\n");
  auto reply = connection.read_response();
  BOOST_REQUIRE(reply);
  check_problem(*reply, 400, "Bad Request");
  BOOST_TEST(connection.closed_by_peer());
}

BOOST_AUTO_TEST_CASE(server_survives_a_client_that_hangs_up_mid_request) {
  {
    HttpConnection connection(server.port);
    connection.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n");  // no blank line, then gone
  }
  BOOST_TEST(http_request(server.port, "GET", "/healthz").status == 200);
}

// Every /api route names the query parameters it takes; any other is a 400 problem naming it,
// before the route does anything (a stray parameter never changes state), while ?token= (the
// event stream's credential) is accepted everywhere.
BOOST_AUTO_TEST_CASE(unknown_query_parameters_are_refused_by_every_api_route_and_change_nothing) {
  std::ifstream token_file(dir.path() / "data" / "token");
  std::string token;
  token_file >> token;
  auto send = [&](const std::string& method, const std::string& target, const std::string& body = {}) {
    HttpConnection connection(server.port);
    std::vector<std::string> headers{"Connection: close", "Authorization: Bearer " + token};
    if (!body.empty()) headers.push_back("Content-Type: application/json");
    connection.send_request(method, target, body, headers);
    auto reply = connection.read_response();
    BOOST_REQUIRE(reply);
    return *reply;
  };
  struct Case {
    std::string method, target, body;
  };
  for (const auto& c : std::vector<Case>{
           {"GET", "/api/v1/processes?limit=1&_=1", ""},
           {"GET", "/api/v1/sessions?lmit=5", ""},
           {"POST", "/api/v1/sessions?dry_run=1", R"({"targets":{"pids":[1]},"kind":"snapshot"})"},
           {"GET", "/api/v1/snapshots/1?fmt=text", ""},
           {"GET", "/api/v1/watches?all=1", ""},
           {"POST", "/api/v1/watches?x=1", R"({"pid":1})"},
           {"GET", "/api/v1/errors?stauts=open", ""},
           {"POST", "/api/v1/errors/events?x=1", R"({"type":"T","message":"m"})"},
           {"GET", "/api/v1/archives?grup=1", ""},
           {"GET", "/api/v1/profiles/1?fromat=pprof", ""},
           {"PUT", "/api/v1/logging?level=debug", R"({})"},
           {"GET", "/api/v1/stats?verbose=1", ""},
           {"GET", "/metrics?x=1", ""},
       }) {
    BOOST_TEST_CONTEXT(c.method << " " << c.target) {
      auto reply = send(c.method, c.target, c.body);
      check_problem(reply, 400, "Bad Request");
      auto detail = nlohmann::json::parse(reply.body).at("detail").get<std::string>();
      BOOST_TEST(detail.find("unknown query parameter") != std::string::npos, detail);
    }
  }
  // Nothing was created by the refused POSTs.
  BOOST_TEST(nlohmann::json::parse(send("GET", "/api/v1/sessions").body).at("sessions").empty());
  BOOST_TEST(nlohmann::json::parse(send("GET", "/api/v1/watches").body).at("watches").empty());
  BOOST_TEST(nlohmann::json::parse(send("GET", "/api/v1/errors/events").body).at("events").empty());
  // The allowed names, and ?token= next to them, still work.
  BOOST_TEST(send("GET", "/api/v1/sessions?limit=1&token=" + token).status == 200);
  BOOST_TEST(send("GET", "/api/v1/errors?limit=5").status == 200);
  auto named = send("GET", "/api/v1/archives?grup=1");
  BOOST_TEST(named.body.find("(allowed: group, since, limit)") != std::string::npos, named.body);
}

BOOST_AUTO_TEST_SUITE_END()
