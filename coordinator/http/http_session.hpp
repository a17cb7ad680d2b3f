#pragma once
// One HTTP/1.1 connection: reads requests (keep-alive, pipelined one at a time), enforces
// HttpLimits, routes each request and writes the response. Lives as long as an operation on it
// is pending. Only listener.cpp includes this header; Beast stays in http_session.cpp.
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "coordinator/http/limits.hpp"

namespace dbg::coord::http {

class Router;

void start_http_session(boost::asio::ip::tcp::socket socket, std::shared_ptr<const Router> router,
                        const HttpLimits& limits);

}  // namespace dbg::coord::http
