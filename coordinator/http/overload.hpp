#pragma once
// The answer to a connection beyond HttpLimits::max_connections: 503 problem+json with
// Retry-After: 1, then close. Only listener.cpp includes this header.
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "coordinator/http/connection_limit.hpp"

namespace dbg::coord::http {

// refusals bounds how many such answers are in flight; beyond it the socket is just closed
// (a flood of connections must not cost more than the connections we serve).
void refuse_connection(boost::asio::ip::tcp::socket socket, const std::shared_ptr<ConnectionLimit>& refusals);

}  // namespace dbg::coord::http
