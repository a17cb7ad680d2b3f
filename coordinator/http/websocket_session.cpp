#include "coordinator/http/websocket_session.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>

#include "coordinator/config.hpp"
#include "coordinator/events/hub.hpp"
#include "coordinator/logging/log.hpp"

namespace dbg::coord::http {

namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

using Message = std::shared_ptr<const std::string>;

class WebSocketSession : public events::Subscriber, public std::enable_shared_from_this<WebSocketSession> {
 public:
  WebSocketSession(tcp::socket&& socket, std::shared_ptr<const ServerContext> context, std::vector<std::string> topics,
                   ConnectionLimit::Slot slot)
      : ws_(std::move(socket)),
        executor_(ws_.get_executor()),
        close_timer_(executor_),
        context_(std::move(context)),
        hub_(context_->hub),
        topics_(std::move(topics)),
        slot_(std::move(slot)) {}

  ~WebSocketSession() override { hub_->unsubscribe(this); }

  void run(bhttp::request<bhttp::string_body> upgrade) {
    upgrade_ = std::move(upgrade);
    // Subscribed before the handshake answer is written, so a client that has seen 101 misses
    // no event published after that; events arriving meanwhile wait in the queue.
    hub_->subscribe(shared_from_this());

    // The stream's own timeouts replace tcp_stream's (Beast: use one or the other). With
    // keep-alive pings a client that only listens is not mistaken for an idle one, and one
    // that vanished without a FIN is closed after ws_idle_timeout.
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = context_->limits.io_timeout;
    timeouts.idle_timeout = context_->limits.ws_idle_timeout;
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
      response.set(bhttp::field::server, std::string("dbgcoord/") + std::string(dbg::coord::version()));
    }));
    ws_.read_message_max(context_->limits.ws_message_bytes);
    ws_.text(true);
    ws_.async_accept(upgrade_, [self = shared_from_this()](error_code ec) { self->on_accept(ec); });
  }

  // Publisher's thread, hub lock held: count, then hand over to the strand. The count is
  // taken here rather than on the strand so that events posted but not yet run are bounded
  // too (a busy io thread must not let them pile up).
  void deliver(Message message) override {
    if (overflowed_.load(std::memory_order_relaxed)) return;
    auto messages = pending_messages_.fetch_add(1, std::memory_order_relaxed) + 1;
    auto bytes = pending_bytes_.fetch_add(message->size(), std::memory_order_relaxed) + message->size();
    if (messages > context_->limits.ws_queue_messages || bytes > context_->limits.ws_queue_bytes) {
      if (!overflowed_.exchange(true)) {
        net::post(executor_, [self = shared_from_this()] { self->drop_slow_client(); });
      }
      return;
    }
    net::post(executor_, [self = shared_from_this(), message = std::move(message)]() mutable {
      self->enqueue(std::move(message));
    });
  }

  bool wants(std::string_view topic) const override {
    return topics_.empty() || std::find(topics_.begin(), topics_.end(), topic) != topics_.end();
  }

 private:
  void on_accept(error_code ec) {
    upgrade_ = {};
    if (ec) return end(ec, "handshake");
    accepted_ = true;
    do_read();
    if (closing_) return start_close();
    if (!queue_.empty()) do_write();
  }

  // Clients send nothing we act on; reading keeps pings, pongs and the close handshake going
  // (Beast answers them inside async_read) and notices a client that went away.
  void do_read() {
    ws_.async_read(buffer_, [self = shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(error_code ec) {
    if (ec) return end(ec, "read");
    buffer_.consume(buffer_.size());
    do_read();
  }

  void enqueue(Message message) {
    if (closing_ || ended_) return;
    queue_.push_back(std::move(message));
    if (accepted_ && !writing_) do_write();
  }

  void do_write() {
    writing_ = true;
    ws_.async_write(net::buffer(*queue_.front()),
                    [self = shared_from_this()](error_code ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(error_code ec) {
    writing_ = false;
    auto sent = std::move(queue_.front());
    queue_.pop_front();
    pending_messages_.fetch_sub(1, std::memory_order_relaxed);
    pending_bytes_.fetch_sub(sent->size(), std::memory_order_relaxed);
    if (ec) return end(ec, "write");
    if (closing_) return start_close();
    if (!queue_.empty()) do_write();
  }

  void drop_slow_client() {
    if (closing_ || ended_) return;
    closing_ = true;
    hub_->unsubscribe(this);
    hub_->count_dropped_client();
    DBG_LOG_INFO("closing a slow event-stream client: more than {} events or {} bytes waiting",
                 context_->limits.ws_queue_messages, context_->limits.ws_queue_bytes);
    // The event being written stays (Beast is writing from it); the rest is released now.
    queue_.erase(writing_ ? queue_.begin() + 1 : queue_.begin(), queue_.end());
    // A client that does not read at all never lets the write in progress, or the close frame,
    // finish: after io_timeout the socket is closed without ceremony.
    close_timer_.expires_after(context_->limits.io_timeout);
    close_timer_.async_wait([self = shared_from_this()](error_code timer_ec) {
      if (timer_ec) return;
      error_code ignored;
      beast::get_lowest_layer(self->ws_).socket().close(ignored);
    });
    if (accepted_ && !writing_) start_close();
  }

  void start_close() {
    if (close_started_ || ended_) return;
    close_started_ = true;
    // 1008 policy violation (RFC 6455 7.4.1): the client broke the rule of keeping up. The
    // pending read completes once the client answers the close.
    ws_.async_close(websocket::close_reason(websocket::close_code::policy_error, "too slow"),
                    [self = shared_from_this()](error_code ec) {
                      if (ec) self->end(ec, "close");
                    });
  }

  // The connection is over (closed, failed or timed out). Pending operations finish with
  // errors and release their references; the last one destroys the session and its Slot.
  void end(error_code ec, const char* what) {
    if (!ended_) {
      ended_ = true;
      hub_->unsubscribe(this);
      close_timer_.cancel();
    }
    if (ec == websocket::error::closed || ec == net::error::operation_aborted || ec == net::error::eof ||
        ec == net::error::connection_reset || ec == net::error::broken_pipe || ec == beast::error::timeout) {
      return;
    }
    DBG_LOG_DEBUG("websocket {}: {}", what, ec.message());
  }

  websocket::stream<beast::tcp_stream> ws_;
  // A copy for deliver(), which runs on publisher threads: ws_ itself is touched only on the
  // strand.
  const websocket::stream<beast::tcp_stream>::executor_type executor_;
  net::steady_timer close_timer_;
  std::shared_ptr<const ServerContext> context_;
  std::shared_ptr<events::Hub> hub_;
  const std::vector<std::string> topics_;  // read by wants() on publisher threads: never changes
  ConnectionLimit::Slot slot_;
  bhttp::request<bhttp::string_body> upgrade_;
  beast::flat_buffer buffer_;

  // Strand only.
  std::deque<Message> queue_;  // front() is being written while writing_
  bool accepted_ = false;
  bool writing_ = false;
  bool closing_ = false;  // dropped for being slow: no new events, close after the current write
  bool close_started_ = false;
  bool ended_ = false;

  // Events handed over by deliver() and not yet written (posted, queued or being written).
  std::atomic<std::size_t> pending_messages_{0};
  std::atomic<std::size_t> pending_bytes_{0};
  std::atomic<bool> overflowed_{false};
};

}  // namespace

void start_websocket_session(tcp::socket socket, bhttp::request<bhttp::string_body> upgrade,
                             std::shared_ptr<const ServerContext> context, std::vector<std::string> topics,
                             ConnectionLimit::Slot slot) {
  auto session =
      std::make_shared<WebSocketSession>(std::move(socket), std::move(context), std::move(topics), std::move(slot));
  session->run(std::move(upgrade));
}

}  // namespace dbg::coord::http
