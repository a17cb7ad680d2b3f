#pragma once
// One HTTP/1.1 connection: reads requests (keep-alive, pipelined one at a time), enforces
// HttpLimits, routes each request and writes the response. Lives as long as an operation on it
// is pending. A WebSocket upgrade to the event stream (events_endpoint.hpp) hands the socket,
// and the connection's Slot, to a WebSocket session. Only listener.cpp includes this header;
// Beast stays in http_session.cpp.
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "coordinator/http/connection_limit.hpp"
#include "coordinator/http/server_context.hpp"

namespace dbg::coord::http {

void start_http_session(boost::asio::ip::tcp::socket socket, std::shared_ptr<const ServerContext> context,
                        ConnectionLimit::Slot slot);

}  // namespace dbg::coord::http
