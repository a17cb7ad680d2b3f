#define BOOST_TEST_MODULE coordinator_auth_server
#include <boost/test/unit_test.hpp>
// Authentication and the connection limit over real sockets: a Listener, Router and Hub built
// in this process (as app.cpp builds them) on an ephemeral loopback port, spoken to by the
// hand-written client of coordinator_test_client.hpp.
#include <boost/asio/io_context.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "coordinator/auth/token.hpp"
#include "coordinator/events/hub.hpp"
#include "coordinator/http/health.hpp"
#include "coordinator/http/listener.hpp"
#include "coordinator/http/router.hpp"
#include "coordinator/http/server_context.hpp"
#include "coordinator_test_client.hpp"

using namespace dbg::coord;
using namespace dbg::coord::test;

namespace {

const std::string kToken = "5f0e2c1d9a8b7c6d5f0e2c1d9a8b7c6d";

// The server as app.cpp wires it, with one dummy /api route and a stand-in /metrics.
class InProcessServer {
 public:
  explicit InProcessServer(http::HttpLimits limits = {}) {
    auto router = std::make_shared<http::Router>();
    http::add_health_routes(*router, std::chrono::steady_clock::now());
    router->add("GET", "/api/v1/ping", [](const http::HttpRequest&) {
      http::HttpResponse response;
      response.body = R"({"pong":true})";
      return response;
    });
    router->add("GET", "/metrics", [](const http::HttpRequest&) {
      http::HttpResponse response;
      response.content_type = "text/plain; version=0.0.4";
      response.body = "dbgcoord_up 1\n";
      return response;
    });
    router->set_auth(auth::token_check(kToken, false));
    http::ServerContext context{router, hub_, auth::token_check(kToken, true), limits};
    listener_.emplace(ioc_, ListenAddress{"127.0.0.1", 0}, std::move(context));
    listener_->start();
    port_ = listener_->local_address().port;
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~InProcessServer() {
    listener_->stop();
    ioc_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::size_t open_connections() const { return listener_->open_connections(); }

 private:
  std::shared_ptr<events::Hub> hub_ = std::make_shared<events::Hub>();  // outlives the sessions
  boost::asio::io_context ioc_;
  std::optional<http::Listener> listener_;
  std::thread thread_;
  int port_ = 0;
};

HttpReply get(int port, const std::string& target, const std::vector<std::string>& headers = {}) {
  HttpConnection connection(port);
  auto all = headers;
  all.push_back("Connection: close");
  connection.send_request("GET", target, {}, all);
  auto reply = connection.read_response();
  if (!reply) throw std::runtime_error("no response to GET " + target);
  return *reply;
}

void check_401(const HttpReply& reply) {
  BOOST_TEST(reply.status == 401);
  BOOST_TEST(reply.header("content-type") == "application/problem+json");
  BOOST_TEST(reply.header("www-authenticate").rfind("Bearer", 0) == 0u);
  BOOST_TEST(nlohmann::json::parse(reply.body).at("status") == 401);
}

const std::string kAuthorization = "Authorization: Bearer " + kToken;

}  // namespace

BOOST_AUTO_TEST_CASE(api_and_metrics_without_token_get_401) {
  InProcessServer server;
  for (const char* target : {"/api/v1/ping", "/api/anything", "/api", "/metrics", "/api/v1/events"}) {
    BOOST_TEST_CONTEXT(target) { check_401(get(server.port(), target)); }
  }
}

BOOST_AUTO_TEST_CASE(api_and_metrics_with_wrong_token_get_401) {
  InProcessServer server;
  for (const char* target : {"/api/v1/ping", "/api/anything", "/metrics"}) {
    BOOST_TEST_CONTEXT(target) {
      check_401(get(server.port(), target, {"Authorization: Bearer 5f0e2c1d9a8b7c6d5f0e2c1d9a8b7c6X"}));
      check_401(get(server.port(), target, {"Authorization: Basic " + kToken}));
    }
  }
}

BOOST_AUTO_TEST_CASE(rest_routes_ignore_token_in_query_and_cookie) {
  InProcessServer server;
  check_401(get(server.port(), "/api/v1/ping?token=" + kToken));
  check_401(get(server.port(), "/api/v1/ping", {"Cookie: dbgcoord_token=" + kToken}));
}

BOOST_AUTO_TEST_CASE(valid_token_gets_200_and_unknown_api_path_404) {
  InProcessServer server;
  auto ping = get(server.port(), "/api/v1/ping", {kAuthorization});
  BOOST_TEST(ping.status == 200);
  BOOST_TEST(nlohmann::json::parse(ping.body).at("pong") == true);
  auto metrics = get(server.port(), "/metrics", {kAuthorization});
  BOOST_TEST(metrics.status == 200);
  BOOST_TEST(metrics.body == "dbgcoord_up 1\n");
  BOOST_TEST(get(server.port(), "/api/anything", {kAuthorization}).status == 404);
}

BOOST_AUTO_TEST_CASE(healthz_needs_no_token) {
  InProcessServer server;
  auto reply = get(server.port(), "/healthz");
  BOOST_TEST(reply.status == 200);
  BOOST_TEST(nlohmann::json::parse(reply.body).at("status") == "ok");
}

BOOST_AUTO_TEST_CASE(plain_get_on_event_stream_with_token_gets_426) {
  InProcessServer server;
  auto reply = get(server.port(), "/api/v1/events", {kAuthorization});
  BOOST_TEST(reply.status == 426);
  BOOST_TEST(reply.header("content-type") == "application/problem+json");
}

BOOST_AUTO_TEST_CASE(connection_beyond_the_limit_gets_503_with_retry_after_and_is_closed) {
  http::HttpLimits limits;
  limits.max_connections = 2;
  InProcessServer server(limits);
  // Two keep-alive connections, each proven accepted by an answered request.
  auto first = std::make_unique<HttpConnection>(server.port());
  HttpConnection second(server.port());
  for (auto* connection : {first.get(), &second}) {
    connection->send_request("GET", "/healthz");
    auto reply = connection->read_response();
    BOOST_REQUIRE(reply);
    BOOST_TEST(reply->status == 200);
  }
  HttpConnection third(server.port());
  third.send_request("GET", "/healthz");
  auto refused = third.read_response();
  BOOST_REQUIRE(refused);
  BOOST_TEST(refused->status == 503);
  BOOST_TEST(refused->header("retry-after") == "1");
  BOOST_TEST(refused->header("content-type") == "application/problem+json");
  BOOST_TEST(nlohmann::json::parse(refused->body).at("status") == 503);
  BOOST_TEST(third.closed_by_peer());

  // The open connections still work.
  second.send_request("GET", "/healthz");
  auto still = second.read_response();
  BOOST_REQUIRE(still);
  BOOST_TEST(still->status == 200);

  // Closing one frees its slot once the server has seen the close; a new connection is then
  // served (retried, since noticing the close is asynchronous).
  first.reset();
  int status = 0;
  for (int attempt = 0; attempt < 200 && status != 200; ++attempt) {
    HttpConnection next(server.port());
    next.send_request("GET", "/healthz", {}, {"Connection: close"});
    auto reply = next.read_response();
    status = reply ? reply->status : 0;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  BOOST_TEST(status == 200);
}
