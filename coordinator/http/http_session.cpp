#include "coordinator/http/http_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <algorithm>
#include <cstdint>
#include <optional>

#include "coordinator/config.hpp"
#include "coordinator/http/beast_request.hpp"
#include "coordinator/http/events_endpoint.hpp"
#include "coordinator/http/message.hpp"
#include "coordinator/http/problem.hpp"
#include "coordinator/http/router.hpp"
#include "coordinator/http/websocket_session.hpp"
#include "coordinator/logging/log.hpp"

namespace dbg::coord::http {

namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

// Bodies up to this size are read with whatever buffer the header left; larger ones in reads of
// up to kBodyReadChunk (see do_read_body).
constexpr std::uint64_t kSmallBody = 16 * 1024;
constexpr std::uint64_t kBodyReadChunk = 64 * 1024;

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket&& socket, std::shared_ptr<const ServerContext> context, ConnectionLimit::Slot slot)
      : stream_(std::move(socket)), context_(std::move(context)), limits_(context_->limits), slot_(std::move(slot)) {}

  void run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->do_read_header(); });
  }

 private:
  // Requests are read in two steps, header then body, so that a client sending
  // "Expect: 100-continue" (curl does for bodies over 1 KiB) gets its go-ahead instead of
  // waiting a second for a timeout, and so that an over-long Content-Length is refused before
  // any of the body is read.
  void do_read_header() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(limits_.header_bytes));
    parser_->body_limit(limits_.body_bytes);
    // One deadline covers header and body; it is also the keep-alive idle timeout.
    stream_.expires_after(limits_.io_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](error_code ec, std::size_t) {
      self->on_read_header(ec);
    });
  }

  void on_read_header(error_code ec) {
    if (ec) return on_read_error(ec);
    if (beast::iequals(parser_->get()[bhttp::field::expect], "100-continue")) {
      auto go_ahead = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
      bhttp::async_write(stream_, *go_ahead, [self = shared_from_this(), go_ahead](error_code write_ec, std::size_t) {
        if (write_ec) return self->fail(write_ec, "write 100-continue");
        self->do_read_body();
      });
      return;
    }
    do_read_body();
  }

  void do_read_body() {
    // Beast reads at most the buffer's free capacity per call (and no less than 512 bytes), and
    // the parser empties the buffer after each read, so a buffer sized by the header would read
    // a 700 KB body 512 bytes per recvmsg (measured: ~1,400 calls per body, a quarter of the
    // network thread's time at ingest). Large bodies get room for 64 KiB reads, given back once
    // the request is read so an idle keep-alive connection keeps only a small buffer.
    if (const auto length = parser_->content_length(); length && *length > kSmallBody) {
      buffer_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*length, kBodyReadChunk)));
    }
    bhttp::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](error_code ec, std::size_t) {
      if (self->buffer_.capacity() > kSmallBody) self->buffer_.shrink_to_fit();
      self->on_read(ec);
    });
  }

  void on_read_error(error_code ec) {
    // The peer closed between requests: the normal end of a keep-alive connection.
    if (ec == bhttp::error::end_of_stream) return do_close();
    if (ec == beast::error::timeout) {
      DBG_LOG_DEBUG("closing connection: no complete request within {} s", limits_.io_timeout.count());
      return;  // tcp_stream closed the socket when the timer fired
    }
    // After any of these the stream cannot be re-synchronised to the next request, so the
    // answer closes the connection.
    if (ec == bhttp::error::body_limit) {
      return send_error(problem(413, "request body larger than " + std::to_string(limits_.body_bytes) + " bytes"));
    }
    if (ec == bhttp::error::header_limit) {
      return send_error(problem(431, "request header block larger than " + std::to_string(limits_.header_bytes) + " bytes"));
    }
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category()) {
      // Any other parser error: the client sent something that is not HTTP/1.1.
      return send_error(problem(400, "malformed HTTP request: " + ec.message()));
    }
    fail(ec, "read");
  }

  void on_read(error_code ec) {
    if (ec) return on_read_error(ec);
    auto message = parser_->release();
    HttpRequest request = to_http_request(message);

    if (context_->hub && request.path == kEventsPath) return on_events_request(request, std::move(message));

    bool keep_alive = message.keep_alive();
    unsigned version = message.version();
    bool head = message.method() == bhttp::verb::head;
    // The reply may come from another thread (a later handler can finish its work anywhere);
    // posting to the connection's strand puts the write back where the stream is used.
    auto self = shared_from_this();
    context_->router->dispatch(std::move(request), [self, keep_alive, version, head](HttpResponse response) {
      net::post(self->stream_.get_executor(), [self, keep_alive, version, head, response = std::move(response)]() mutable {
        self->send(std::move(response), keep_alive, version, head);
      });
    });
  }

  // The event stream: refused with an ordinary response, or handed to a WebSocket session
  // together with the socket and this connection's slot (this session then ends).
  void on_events_request(const HttpRequest& request, bhttp::request<bhttp::string_body> message) {
    auto admission = admit_events_request(request, beast::websocket::is_upgrade(message), context_->events_auth);
    if (admission.refusal) {
      // Closed afterwards: the client asked to switch protocols and may not expect the
      // connection to carry more HTTP.
      admission.refusal->close = true;
      return send(std::move(*admission.refusal), false, message.version(), message.method() == bhttp::verb::head);
    }
    // The handshake must not be timed by this stream's deadline any more; the WebSocket
    // session sets its own.
    stream_.expires_never();
    start_websocket_session(stream_.release_socket(), std::move(message), context_, std::move(admission.topics),
                            std::move(*slot_));
  }

  void send_error(HttpResponse response) {
    response.close = true;
    send(std::move(response), false, 11, false);
  }

  void send(HttpResponse response, bool keep_alive, unsigned version, bool head) {
    auto message = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(response.status), version);
    message->set(bhttp::field::server, std::string("dbgcoord/") + std::string(dbg::coord::version()));
    message->set(bhttp::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) message->insert(name, value);
    message->keep_alive(keep_alive && !response.close);
    if (head) {
      // A response to HEAD announces the length of the body it would have sent, and sends none
      // (RFC 9110 9.3.2).
      message->content_length(response.body.size());
    } else {
      message->body() = std::move(response.body);
      message->prepare_payload();
    }
    stream_.expires_after(limits_.io_timeout);
    bhttp::async_write(stream_, *message, [self = shared_from_this(), message](error_code ec, std::size_t) {
      if (ec) return self->fail(ec, "write");
      if (message->need_eof()) return self->do_close();
      self->do_read_header();
    });
  }

  void do_close() {
    error_code ignored;
    // Half-close: the client reads everything we sent, then sees EOF.
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  void fail(error_code ec, const char* what) {
    // Aborts come from shutdown, resets from clients that hang up: neither is our problem.
    if (ec == net::error::operation_aborted || ec == net::error::connection_reset || ec == net::error::broken_pipe) return;
    DBG_LOG_DEBUG("http {}: {}", what, ec.message());
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  // Recreated per request: a parser is single-use, and its limits are per message.
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<const ServerContext> context_;
  const HttpLimits& limits_;  // context_->limits
  // Held for the connection's life; moved to the WebSocket session on upgrade.
  std::optional<ConnectionLimit::Slot> slot_;
};

}  // namespace

void start_http_session(tcp::socket socket, std::shared_ptr<const ServerContext> context, ConnectionLimit::Slot slot) {
  std::make_shared<HttpSession>(std::move(socket), std::move(context), std::move(slot))->run();
}

}  // namespace dbg::coord::http
