#pragma once
// Owns the listening socket: binds at construction (so a bind failure is an exception the caller
// turns into exit 1, not a log line while the process carries on), accepts on start(), and hands
// each connection to an HttpSession, or answers 503 when HttpLimits::max_connections are open.
// Asio types stay in listener.cpp.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>

#include "coordinator/config.hpp"
#include "coordinator/http/limits.hpp"
#include "coordinator/http/server_context.hpp"

namespace boost::asio {
class io_context;
}

namespace dbg::coord::http {

class Router;

class ListenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Listener {
 public:
  // Opens, binds and listens. Throws ListenError with the address and the OS's reason.
  Listener(boost::asio::io_context& ioc, const ListenAddress& address, ServerContext context);
  // Plain HTTP: no event stream.
  Listener(boost::asio::io_context& ioc, const ListenAddress& address,
           std::shared_ptr<const Router> router, HttpLimits limits);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // The bound address; with port 0 requested, the port the kernel chose.
  ListenAddress local_address() const;
  void start();
  // Stops accepting; connections already open are not touched. Safe from any thread.
  void stop();
  // Connections open now (HTTP and WebSocket), for /metrics. Safe from any thread.
  std::size_t open_connections() const;

 private:
  class Acceptor;
  std::shared_ptr<Acceptor> acceptor_;
};

}  // namespace dbg::coord::http
