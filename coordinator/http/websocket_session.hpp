#pragma once
// One client of the live event stream (/api/v1/events), after http_session.cpp has admitted
// its upgrade request (events_endpoint.hpp). Subscribes to the Hub, writes one event at a time
// from a bounded queue, and closes the client with 1008 "too slow" when the queue is full.
// Only http_session.cpp includes this header: Beast stays out of everything else.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>
#include <string>
#include <vector>

#include "coordinator/http/connection_limit.hpp"
#include "coordinator/http/server_context.hpp"

namespace dbg::coord::http {

// topics: the ?topics= filter, empty for all. context->hub must be set.
void start_websocket_session(boost::asio::ip::tcp::socket socket,
                             boost::beast::http::request<boost::beast::http::string_body> upgrade,
                             std::shared_ptr<const ServerContext> context, std::vector<std::string> topics,
                             ConnectionLimit::Slot slot);

}  // namespace dbg::coord::http
