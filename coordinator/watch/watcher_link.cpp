#include "coordinator/watch/watcher_link.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "coordinator/events/hub.hpp"

namespace dbg::coord::watch {

WatcherLink::WatcherLink(boost::asio::io_context& ioc, boost::asio::any_io_executor strand, std::string executable,
                         std::chrono::milliseconds restart_delay, events::Hub& hub, Hooks hooks)
    : ioc_(ioc), strand_(strand), executable_(std::move(executable)), restart_delay_(restart_delay), hub_(hub),
      hooks_(std::move(hooks)), restart_timer_(strand) {}

void WatcherLink::ensure_running() {
  if (!channel_ && !restart_pending_ && !stopping_) spawn(false);
}

void WatcherLink::spawn(bool replacement) {
  if (stopping_) return;
  // Weak: we own the channel, and its handlers owning us would be a cycle that outlives the
  // coordinator whenever the io_context stops before the watcher's exit is read (LeakSanitizer
  // found it at every shutdown with a watcher, scripts/sanitize.sh).
  std::weak_ptr<WatcherLink> weak = shared_from_this();
  try {
    channel_ = pool::WorkerChannel::open(
        ioc_, strand_, {executable_, "watch", "w", /*kill_on_unreadable=*/false},
        [weak](const nlohmann::json& line) {
          if (auto self = weak.lock(); self && self->hooks_.on_event) self->hooks_.on_event(line);
        },
        [weak](const std::string& reason) {
          if (auto self = weak.lock()) return self->on_exit(reason);
          return Error{"watcher_crashed", "the watcher died: " + reason};
        });
  } catch (const std::exception& e) {
    spdlog::error("cannot start the watcher {}: {}", executable_, e.what());
    schedule_restart();
    return;
  }
  pid_ = channel_->pid();
  if (replacement && hooks_.on_replaced) hooks_.on_replaced();
}

void WatcherLink::schedule_restart() {
  if (stopping_ || restart_pending_) return;
  restart_pending_ = true;
  restart_timer_.expires_after(restart_delay_);
  restart_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    self->restart_pending_ = false;
    if (!ec) self->spawn(true);
  });
}

Error WatcherLink::on_exit(const std::string& reason) {
  channel_.reset();
  pid_ = 0;
  // The channel fails what waits on the watcher once this returns; whether a replacement is
  // needed is decided after that (a failed API attach gives its pid up first).
  boost::asio::post(strand_, [self = shared_from_this(), reason] { self->after_exit(reason); });
  return Error{"watcher_crashed", "the watcher died: " + reason};
}

void WatcherLink::after_exit(const std::string& reason) {
  if (stopping_) return;
  hub_.publish("worker", "watcher_exited", {{"reason", reason}});
  if (channel_) return;  // a request meanwhile started a new one
  if (hooks_.still_needed && !hooks_.still_needed()) {
    spdlog::info("watcher ended ({}); none needed until the next watched process", reason);
    return;
  }
  spdlog::warn("watcher ended ({}); starting another", reason);
  schedule_restart();
}

void WatcherLink::request(const std::string& kind, int pid, const nlohmann::json& options,
                          pool::WorkerChannel::Reply reply) {
  pool::WorkerChannel::Request request;
  request.body = {{"kind", kind}, {"pid", pid}};
  if (!options.is_null() && !options.empty()) request.body["options"] = options;
  if (reply) {
    request.on_reply = [reply = std::move(reply)](Result<nlohmann::json> answer) {
      try {
        reply(std::move(answer));
      } catch (const std::exception& e) {
        spdlog::warn("watcher answer not understood: {}", e.what());
      }
    };
  }
  ensure_running();
  if (!channel_ || !channel_->alive()) {
    if (request.on_reply) request.on_reply(Error{"watcher_crashed", "no watcher running"});
    return;
  }
  channel_->send(std::move(request));
}

void WatcherLink::stop(const std::string& reason) {
  stopping_ = true;
  restart_timer_.cancel();
  if (channel_) channel_->kill(reason);
}

}  // namespace dbg::coord::watch
