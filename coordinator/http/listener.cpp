#include "coordinator/http/listener.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>

#include "coordinator/http/connection_limit.hpp"
#include "coordinator/http/http_session.hpp"
#include "coordinator/http/overload.hpp"
#include "coordinator/http/router.hpp"
#include "coordinator/logging/log.hpp"

namespace dbg::coord::http {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

// 503 answers in flight at once; more excess connections are closed unanswered.
constexpr std::size_t kMaxRefusalsInFlight = 64;

}  // namespace

class Listener::Acceptor : public std::enable_shared_from_this<Acceptor> {
 public:
  Acceptor(net::io_context& ioc, std::shared_ptr<const ServerContext> context)
      : ioc_(ioc),
        acceptor_(net::make_strand(ioc)),
        retry_timer_(acceptor_.get_executor()),
        context_(std::move(context)),
        connections_(std::make_shared<ConnectionLimit>(context_->limits.max_connections)),
        refusals_(std::make_shared<ConnectionLimit>(kMaxRefusalsInFlight)) {}

  void open(const ListenAddress& address) {
    error_code ec;
    auto ip = net::ip::make_address(address.host, ec);
    if (ec) throw ListenError("cannot listen on " + address.to_string() + ": " + ec.message());
    tcp::endpoint endpoint(ip, address.port);
    auto check = [&](const char* step) {
      if (ec) throw ListenError("cannot listen on " + address.to_string() + ": " + step + ": " + ec.message());
    };
    protocol_ = endpoint.protocol();
    acceptor_.open(protocol_, ec);
    check("open");
    close_on_exec(acceptor_.native_handle());
    // SO_REUSEADDR lets a restarted server bind while old connections sit in TIME_WAIT. On Linux
    // it does not let two listeners share a port (that is SO_REUSEPORT), so "address in use"
    // still reports a second server.
    acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    check("setsockopt SO_REUSEADDR");
    acceptor_.bind(endpoint, ec);
    check("bind");
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
    check("listen");
    // do_accept() calls accept4 itself once the socket is readable: never block there.
    acceptor_.native_non_blocking(true, ec);
    check("non-blocking");
  }

  ListenAddress local_address() const {
    auto endpoint = acceptor_.local_endpoint();
    ListenAddress out;
    out.host = endpoint.address().to_string();
    out.port = endpoint.port();
    return out;
  }

  std::size_t open_connections() const { return connections_->active(); }

  void start() {
    net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
  }

  void stop() {
    net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] {
      error_code ignored;
      self->retry_timer_.cancel();
      self->acceptor_.close(ignored);
    });
  }

 private:
  // Asio opens and accepts sockets without SOCK_CLOEXEC, so every child we start (workers, the
  // crash watcher) would inherit the listening socket and open connections: a killed dbgcoord's
  // port would stay bound by its watcher, and a connection we close would not end for the
  // client while a child still holds it. The listener is marked close-on-exec once; connections
  // are accepted with accept4(SOCK_CLOEXEC) here rather than by async_accept, so that no fork on
  // another thread can come between the accept and the flag.
  static void close_on_exec(int fd) {
    int flags = ::fcntl(fd, F_GETFD);
    if (flags >= 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
  }

  void do_accept() {
    acceptor_.async_wait(tcp::acceptor::wait_read, [self = shared_from_this()](error_code ec) { self->on_readable(ec); });
  }

  void on_readable(error_code ec) {
    if (ec) return on_accept(ec, tcp::socket(ioc_));
    int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      // Another wake-up took it, or the client gave up before we accepted: wait again.
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED || errno == EINTR) return do_accept();
      return on_accept(error_code(errno, boost::system::system_category()), tcp::socket(ioc_));
    }
    // Each connection gets its own strand, so a later multi-threaded io_context needs no change
    // in the session code.
    tcp::socket socket(net::make_strand(ioc_));
    error_code assign_ec;
    socket.assign(protocol_, fd, assign_ec);
    if (assign_ec) {
      ::close(fd);
      return on_accept(assign_ec, tcp::socket(ioc_));
    }
    on_accept({}, std::move(socket));
  }

  void on_accept(error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;  // stop()
    if (ec) {
      // EMFILE, ENFILE, ENOBUFS: transient. Accepting again at once would spin on the same
      // error; wait a little instead, and never stop serving for good (Beast's example listener
      // returns here, which silently ends accepting).
      DBG_LOG_WARN("accept failed: {}; retrying in 100 ms", ec.message());
      retry_timer_.expires_after(std::chrono::milliseconds(100));
      retry_timer_.async_wait([self = shared_from_this()](error_code wait_ec) {
        if (!wait_ec) self->do_accept();
      });
      return;
    }
    if (auto slot = connections_->try_acquire()) {
      start_http_session(std::move(socket), context_, std::move(*slot));
    } else {
      // Every refusal would be one log line in a flood: the first, then one per thousand.
      if (refused_++ % 1000 == 0) {
        DBG_LOG_WARN("{} open connections, the limit: answering 503 ({} refused so far)",
                     context_->limits.max_connections, refused_);
      }
      refuse_connection(std::move(socket), refusals_);
    }
    do_accept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  tcp protocol_ = tcp::v4();
  net::steady_timer retry_timer_;
  std::shared_ptr<const ServerContext> context_;
  std::shared_ptr<ConnectionLimit> connections_;
  std::shared_ptr<ConnectionLimit> refusals_;
  std::uint64_t refused_ = 0;  // strand only
};

Listener::Listener(net::io_context& ioc, const ListenAddress& address, ServerContext context)
    : acceptor_(std::make_shared<Acceptor>(ioc, std::make_shared<const ServerContext>(std::move(context)))) {
  acceptor_->open(address);
}

Listener::Listener(net::io_context& ioc, const ListenAddress& address, std::shared_ptr<const Router> router,
                   HttpLimits limits)
    : Listener(ioc, address, ServerContext{std::move(router), nullptr, {}, limits}) {}

Listener::~Listener() { stop(); }

ListenAddress Listener::local_address() const { return acceptor_->local_address(); }

void Listener::start() { acceptor_->start(); }

void Listener::stop() { acceptor_->stop(); }

std::size_t Listener::open_connections() const { return acceptor_->open_connections(); }

}  // namespace dbg::coord::http
