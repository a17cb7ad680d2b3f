#pragma once
// Bounds on what one HTTP connection may make the server hold or wait for. A client that
// exceeds them gets a 4xx and loses the connection; it never grows our memory.
#include <chrono>
#include <cstddef>

namespace dbg::coord::http {

struct HttpLimits {
  std::size_t header_bytes = 8 * 1024;    // the whole header block; 431 beyond it
  std::size_t body_bytes = 1024 * 1024;   // per request; 413 beyond it
  // Time allowed for a whole request to arrive, and for a response to be written. It is also the
  // idle keep-alive timeout: a connection that sends nothing for this long is closed.
  std::chrono::seconds io_timeout{30};
  // Open connections, HTTP and WebSocket together. One more is accepted, answered 503 with
  // Retry-After and closed: a refused client learns why instead of hanging in the backlog.
  std::size_t max_connections = 256;

  // WebSocket (/api/v1/events). Clients only send pings and close frames; a bigger message is
  // answered with close code 1009 (RFC 6455 7.4.1).
  std::size_t ws_message_bytes = 4 * 1024;
  // Events waiting to be written to one client. A client this far behind is closed with code
  // 1008 and counted (Hub::dropped_clients): it must not make the server hold an ever-growing
  // backlog, and a stream with holes is worse than a reconnect that says so.
  std::size_t ws_queue_messages = 1024;
  std::size_t ws_queue_bytes = 1024 * 1024;
  // The server pings a client that has sent nothing for half this time, and closes it when this
  // time passes without a frame (pong) from it: a vanished client frees its slot.
  std::chrono::seconds ws_idle_timeout{60};
};

}  // namespace dbg::coord::http
