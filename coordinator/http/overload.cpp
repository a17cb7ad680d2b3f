#include "coordinator/http/overload.hpp"

#include <array>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <string>

#include "coordinator/config.hpp"
#include "coordinator/http/problem.hpp"

namespace dbg::coord::http {

namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

// Long enough for a client on a busy host to read 300 bytes, short enough that refusals
// cannot pile up.
constexpr std::chrono::seconds kRefusalTimeout{5};

std::string overload_response() {
  auto response = problem(503, "too many open connections; retry shortly");
  // Built by hand: the request is never read, so there is nothing for Beast's parser and
  // serializer to do.
  return "HTTP/1.1 503 Service Unavailable\r\n"
         "Server: dbgcoord/" +
         std::string(dbg::coord::version()) +
         "\r\n"
         "Content-Type: " +
         response.content_type +
         "\r\n"
         "Content-Length: " +
         std::to_string(response.body.size()) +
         "\r\n"
         "Retry-After: 1\r\n"
         "Connection: close\r\n"
         "\r\n" +
         response.body;
}

class Refusal : public std::enable_shared_from_this<Refusal> {
 public:
  Refusal(tcp::socket&& socket, ConnectionLimit::Slot slot) : stream_(std::move(socket)), slot_(std::move(slot)) {}

  void run() {
    static const std::string response = overload_response();
    stream_.expires_after(kRefusalTimeout);
    net::async_write(stream_, net::buffer(response), [self = shared_from_this()](error_code ec, std::size_t) {
      if (ec) return;
      error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      self->drain();
    });
  }

 private:
  // Closing with the client's request unread would make the kernel send RST, and a client
  // receiving RST may discard our 503 before reading it (RFC 9112 9.6): read and drop until
  // the client closes or the deadline passes.
  void drain() {
    stream_.async_read_some(net::buffer(discard_), [self = shared_from_this()](error_code ec, std::size_t) {
      if (!ec) self->drain();
    });
  }

  beast::tcp_stream stream_;
  ConnectionLimit::Slot slot_;
  std::array<char, 4096> discard_{};
};

}  // namespace

void refuse_connection(tcp::socket socket, const std::shared_ptr<ConnectionLimit>& refusals) {
  auto slot = refusals->try_acquire();
  if (!slot) return;  // the socket closes here
  std::make_shared<Refusal>(std::move(socket), std::move(*slot))->run();
}

}  // namespace dbg::coord::http
