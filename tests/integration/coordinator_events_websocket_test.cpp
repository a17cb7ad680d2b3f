#define BOOST_TEST_MODULE coordinator_events_websocket
#include <boost/test/unit_test.hpp>
// GET /api/v1/events over real sockets: a Listener, Router and Hub built in this process (as
// app.cpp builds them) on an ephemeral loopback port, and Beast's synchronous WebSocket client.
// Events are published straight into the Hub.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
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
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

const std::string kToken = "0f1e2d3c4b5a69780f1e2d3c4b5a6978";

// The server as app.cpp wires it. Two io threads, so the sessions' strands matter.
class InProcessServer {
 public:
  explicit InProcessServer(http::HttpLimits limits = {}) {
    auto router = std::make_shared<http::Router>();
    http::add_health_routes(*router, std::chrono::steady_clock::now());
    router->set_auth(auth::token_check(kToken, false));
    http::ServerContext context{router, hub, auth::token_check(kToken, true), limits};
    listener_.emplace(ioc_, ListenAddress{"127.0.0.1", 0}, std::move(context));
    listener_->start();
    port_ = listener_->local_address().port;
    for (auto& thread : threads_) thread = std::thread([this] { ioc_.run(); });
  }
  ~InProcessServer() {
    listener_->stop();
    ioc_.stop();
    for (auto& thread : threads_) thread.join();
  }
  int port() const { return port_; }

  std::shared_ptr<events::Hub> hub = std::make_shared<events::Hub>();  // outlives the sessions

 private:
  net::io_context ioc_;
  std::optional<http::Listener> listener_;
  std::thread threads_[2];
  int port_ = 0;
};

class EventClient {
 public:
  explicit EventClient(int port) : port_(port), ws_(ioc_) {
    ws_.next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  }

  // The handshake's HTTP status: 101 when the stream is open.
  unsigned handshake(const std::string& target, std::vector<std::pair<std::string, std::string>> headers = {}) {
    ws_.set_option(websocket::stream_base::decorator([headers](websocket::request_type& request) {
      for (const auto& [name, value] : headers) request.set(name, value);
    }));
    // Asynchronous on purpose: Beast 1.74's synchronous handshake leaves the response empty
    // when the server declines the upgrade, and the refusal's status is what we test.
    ws_.async_handshake(response_, host(), target, [](error_code) {});
    ioc_.run();
    ioc_.restart();
    return response_.result_int();
  }

  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  const websocket::response_type& response() const { return response_; }
  websocket::stream<tcp::socket>& ws() { return ws_; }

  nlohmann::json read_event() {
    beast::flat_buffer buffer;
    ws_.read(buffer);
    return nlohmann::json::parse(beast::buffers_to_string(buffer.data()));
  }

  // Reads (and drops) messages until the stream ends; returns how it ended.
  error_code read_until_end() {
    for (;;) {
      beast::flat_buffer buffer;
      error_code ec;
      ws_.read(buffer, ec);
      if (ec) return ec;
    }
  }

 private:
  int port_;
  net::io_context ioc_;
  websocket::stream<tcp::socket> ws_;
  websocket::response_type response_;
};

std::string with_token(const std::string& target) {
  return target + (target.find('?') == std::string::npos ? "?" : "&") + "token=" + kToken;
}

void check_problem(const EventClient& client, unsigned status) {
  BOOST_TEST(client.response().result_int() == status);
  BOOST_TEST(client.response()[beast::http::field::content_type] == "application/problem+json");
  BOOST_TEST(nlohmann::json::parse(client.response().body()).at("status") == status);
}

}  // namespace

BOOST_AUTO_TEST_CASE(client_with_token_in_query_receives_events_in_order) {
  InProcessServer server;
  EventClient client(server.port());
  BOOST_REQUIRE(client.handshake(with_token("/api/v1/events")) == 101u);
  for (int i = 0; i < 20; ++i) server.hub->publish(i % 2 ? "job" : "session", "tick", {{"i", i}});
  std::int64_t last_seq = 0;
  for (int i = 0; i < 20; ++i) {
    auto event = client.read_event();
    BOOST_TEST(event.at("seq").get<std::int64_t>() == last_seq + 1);
    last_seq = event.at("seq").get<std::int64_t>();
    BOOST_TEST(event.at("topic") == (i % 2 ? "job" : "session"));
    BOOST_TEST(event.at("type") == "tick");
    BOOST_TEST(event.at("data").at("i") == i);
    BOOST_TEST(event.at("time_ms").get<std::int64_t>() > 0);
  }
}

BOOST_AUTO_TEST_CASE(token_in_header_or_cookie_also_opens_the_stream) {
  InProcessServer server;
  EventClient by_header(server.port());
  BOOST_TEST(by_header.handshake("/api/v1/events", {{"Authorization", "Bearer " + kToken}}) == 101u);
  EventClient by_cookie(server.port());
  BOOST_TEST(by_cookie.handshake("/api/v1/events", {{"Cookie", "dbgcoord_token=" + kToken}}) == 101u);
  server.hub->publish("worker", "started", {{"pid", 42}});
  BOOST_TEST(by_header.read_event().at("data").at("pid") == 42);
  BOOST_TEST(by_cookie.read_event().at("data").at("pid") == 42);
}

BOOST_AUTO_TEST_CASE(topic_filter_delivers_only_the_named_topics) {
  InProcessServer server;
  EventClient client(server.port());
  BOOST_REQUIRE(client.handshake(with_token("/api/v1/events?topics=snapshot,batch")) == 101u);
  server.hub->publish("session", "created", {{"n", 1}});
  server.hub->publish("snapshot", "done", {{"n", 2}});
  server.hub->publish("job", "started", {{"n", 3}});
  server.hub->publish("batch", "done", {{"n", 4}});
  auto first = client.read_event();
  auto second = client.read_event();
  BOOST_TEST(first.at("topic") == "snapshot");
  BOOST_TEST(first.at("data").at("n") == 2);
  BOOST_TEST(second.at("topic") == "batch");
  BOOST_TEST(second.at("data").at("n") == 4);
}

BOOST_AUTO_TEST_CASE(unknown_topic_gets_400_before_upgrading) {
  InProcessServer server;
  EventClient client(server.port());
  BOOST_TEST(client.handshake(with_token("/api/v1/events?topics=session,nope")) == 400u);
  check_problem(client, 400);
}

BOOST_AUTO_TEST_CASE(missing_or_wrong_token_gets_401) {
  InProcessServer server;
  EventClient none(server.port());
  BOOST_TEST(none.handshake("/api/v1/events") == 401u);
  check_problem(none, 401);
  BOOST_TEST(std::string(none.response()[beast::http::field::www_authenticate]).rfind("Bearer", 0) == 0u);
  EventClient wrong(server.port());
  BOOST_TEST(wrong.handshake("/api/v1/events?token=0f1e2d3c4b5a69780f1e2d3c4b5a697X") == 401u);
}

BOOST_AUTO_TEST_CASE(foreign_origin_gets_403_and_same_origin_is_accepted) {
  InProcessServer server;
  EventClient foreign(server.port());
  BOOST_TEST(foreign.handshake(with_token("/api/v1/events"), {{"Origin", "http://evil.example"}}) == 403u);
  check_problem(foreign, 403);
  EventClient same(server.port());
  BOOST_TEST(same.handshake(with_token("/api/v1/events"), {{"Origin", "http://" + same.host()}}) == 101u);
}

BOOST_AUTO_TEST_CASE(client_message_over_4_kib_closes_with_1009) {
  InProcessServer server;
  EventClient client(server.port());
  BOOST_REQUIRE(client.handshake(with_token("/api/v1/events")) == 101u);
  client.ws().write(net::buffer(std::string(5000, 'x')));
  auto ended = client.read_until_end();
  BOOST_TEST((ended == websocket::error::closed), ended.message());
  BOOST_TEST(client.ws().reason().code == websocket::close_code::too_big);
}

BOOST_AUTO_TEST_CASE(client_close_is_answered) {
  InProcessServer server;
  EventClient client(server.port());
  BOOST_REQUIRE(client.handshake(with_token("/api/v1/events")) == 101u);
  // Beast's close() returns once the server's close frame has arrived.
  error_code ec;
  client.ws().close(websocket::close_code::normal, ec);
  BOOST_TEST(!ec, ec.message());
  BOOST_TEST(!client.ws().is_open());
}

// A never-reading client is dropped and counted once its queue passes 1 MiB, while a client
// that keeps up goes on receiving. The publisher waits for the good client at each event, so
// only the stuck one falls behind, whatever the machine's speed.
BOOST_AUTO_TEST_CASE(slow_client_is_dropped_and_counted_while_others_keep_receiving) {
  InProcessServer server;
  EventClient stuck(server.port());
  BOOST_REQUIRE(stuck.handshake(with_token("/api/v1/events")) == 101u);
  EventClient good(server.port());
  BOOST_REQUIRE(good.handshake(with_token("/api/v1/events")) == 101u);

  const std::string blob(256 * 1024, 'x');
  int published = 0;
  // Bounded: the socket buffers of a loopback connection hold some megabytes, far below this.
  while (server.hub->dropped_clients() == 0 && published < 4000) {
    server.hub->publish("snapshot", "done", {{"i", published}, {"blob", blob}});
    auto event = good.read_event();
    BOOST_REQUIRE(event.at("data").at("i") == published);
    ++published;
  }
  BOOST_TEST_MESSAGE("stuck client dropped after " << published << " events of 256 KiB");
  BOOST_REQUIRE(server.hub->dropped_clients() == 1u);

  server.hub->publish("session", "done", {{"after", true}});
  // The good client may still see snapshot events published before the drop was noticed.
  nlohmann::json event;
  do {
    event = good.read_event();
  } while (event.at("topic") != "session");
  BOOST_TEST(event.at("data").at("after") == true);

  // The stuck client finds its stream ended after what was already sent: with close code
  // 1008 if it drains in time for the server's close frame, else by the connection closing.
  auto ended = stuck.read_until_end();
  BOOST_TEST_MESSAGE("stuck client's stream ended with: " << ended.message());
  BOOST_TEST(!!ended);
  if (ended == websocket::error::closed) {
    BOOST_TEST(stuck.ws().reason().code == websocket::close_code::policy_error);
    const auto& reason = stuck.ws().reason().reason;
    BOOST_TEST(std::string(reason.begin(), reason.end()) == "too slow");
  }
  BOOST_TEST(server.hub->dropped_clients() == 1u);
}

BOOST_AUTO_TEST_CASE(websocket_connections_count_toward_the_connection_limit) {
  http::HttpLimits limits;
  limits.max_connections = 2;
  InProcessServer server(limits);
  EventClient client(server.port());
  BOOST_REQUIRE(client.handshake(with_token("/api/v1/events")) == 101u);
  test::HttpConnection http_client(server.port());
  http_client.send_request("GET", "/healthz");
  auto served = http_client.read_response();
  BOOST_REQUIRE(served);
  BOOST_TEST(served->status == 200);

  EventClient refused(server.port());
  BOOST_TEST(refused.handshake(with_token("/api/v1/events")) == 503u);
  BOOST_TEST(std::string(refused.response()[beast::http::field::retry_after]) == "1");

  // The open stream still works.
  server.hub->publish("job", "done", {{"ok", true}});
  BOOST_TEST(client.read_event().at("data").at("ok") == true);
}
