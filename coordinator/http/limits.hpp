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
};

}  // namespace dbg::coord::http
