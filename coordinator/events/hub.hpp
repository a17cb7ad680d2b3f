#pragma once
// Hub: live events for WebSocket clients (GET /api/v1/events). Every state change in the
// coordinator is published here once; the hub serializes it once and hands the same immutable
// string to every interested subscriber. Each event on the wire:
//   {"seq": n, "time_ms": unix ms, "topic": "...", "type": "...", "data": {...}}
// seq starts at 1 and grows by one per published event, so a client can tell it missed some
// (after a reconnect, or because it was dropped for being too slow).
//
// Free of Asio and Beast on purpose: every publisher (scheduler, pool, store) includes it.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace dbg::coord::events {

// One receiver of events, in practice one WebSocket connection.
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  // Called on the publisher's thread with the hub's lock held, so that every subscriber sees
  // events in seq order: must not block, and must not call subscribe() or unsubscribe().
  // A subscriber that cannot keep up drops itself; it never makes the publisher wait.
  virtual void deliver(std::shared_ptr<const std::string> message) = 0;
  // Whether this subscriber wants events of this topic. Called from any publisher thread, so
  // what it reads must not change after subscribe().
  virtual bool wants(std::string_view topic) const = 0;
};

class Hub {
 public:
  // Thread-safe. topic is one of kTopics (events/topics.hpp); type names what happened
  // ("created", "progress", "done", ...); data is the event's payload.
  void publish(std::string topic, std::string type, nlohmann::json data);

  // The hub keeps a weak_ptr: a subscriber that is destroyed stops receiving without having
  // to unsubscribe (it should still, so that subscribers() stays exact).
  void subscribe(std::shared_ptr<Subscriber> subscriber);
  // Safe to call from the subscriber's destructor (the entry is found by address).
  void unsubscribe(const Subscriber* subscriber);

  // For /metrics and /api/v1/stats.
  std::uint64_t published() const;
  std::uint64_t dropped_clients() const;
  // A subscriber that closed itself for being too slow reports it here.
  void count_dropped_client();
  std::size_t subscribers() const;

 private:
  struct Entry {
    const Subscriber* key;
    std::weak_ptr<Subscriber> subscriber;
  };
  // One lock for assigning seq and delivering: two concurrent publishers must not reach a
  // subscriber in the opposite order of their seq numbers. deliver() only queues, so the
  // lock is held for microseconds.
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
  std::uint64_t next_seq_ = 1;
  std::atomic<std::uint64_t> published_{0};
  std::atomic<std::uint64_t> dropped_clients_{0};
};

}  // namespace dbg::coord::events
