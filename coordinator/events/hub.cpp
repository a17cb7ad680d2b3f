#include "coordinator/events/hub.hpp"

#include <algorithm>
#include <cstdint>

#include "dbg/clock.hpp"

namespace dbg::coord::events {

void Hub::publish(std::string topic, std::string type, nlohmann::json data) {
  const int64_t time_ms = unix_time_ms();
  // Everything but seq is serialized before taking the lock; seq is spliced in under it. The
  // replace handler: a payload echoing a process's invalid UTF-8 (a comm, a cmdline) must
  // not turn an event into an exception in the publisher.
  constexpr auto replace = nlohmann::json::error_handler_t::replace;
  std::string tail = ",\"time_ms\":" + std::to_string(time_ms) +
                     ",\"topic\":" + nlohmann::json(topic).dump(-1, ' ', false, replace) +
                     ",\"type\":" + nlohmann::json(type).dump(-1, ' ', false, replace) +
                     ",\"data\":" + data.dump(-1, ' ', false, replace) + "}";

  // Declared before the lock so that it is destroyed after the unlock: the reference taken
  // here may be a subscriber's last one, and its destructor calls unsubscribe(), which takes
  // the lock.
  std::vector<std::shared_ptr<Subscriber>> alive;
  std::lock_guard lock(mutex_);
  alive.reserve(entries_.size());
  auto message = std::make_shared<const std::string>("{\"seq\":" + std::to_string(next_seq_++) + tail);
  published_.fetch_add(1, std::memory_order_relaxed);
  std::erase_if(entries_, [&](const Entry& entry) {
    auto subscriber = entry.subscriber.lock();
    if (!subscriber) return true;
    if (subscriber->wants(topic)) subscriber->deliver(message);
    alive.push_back(std::move(subscriber));
    return false;
  });
}

void Hub::subscribe(std::shared_ptr<Subscriber> subscriber) {
  if (!subscriber) return;
  std::lock_guard lock(mutex_);
  entries_.push_back(Entry{subscriber.get(), subscriber});
}

void Hub::unsubscribe(const Subscriber* subscriber) {
  std::lock_guard lock(mutex_);
  std::erase_if(entries_, [&](const Entry& entry) { return entry.key == subscriber; });
}

std::uint64_t Hub::published() const { return published_.load(std::memory_order_relaxed); }

std::uint64_t Hub::dropped_clients() const { return dropped_clients_.load(std::memory_order_relaxed); }

void Hub::count_dropped_client() { dropped_clients_.fetch_add(1, std::memory_order_relaxed); }

std::size_t Hub::subscribers() const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(
      std::count_if(entries_.begin(), entries_.end(), [](const Entry& entry) { return !entry.subscriber.expired(); }));
}

}  // namespace dbg::coord::events
