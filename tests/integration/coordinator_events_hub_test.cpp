#define BOOST_TEST_MODULE coordinator_events_hub
#include <boost/test/unit_test.hpp>
// The Hub on its own (no sockets): event shape, seq order across threads, topic filters,
// subscribers that go away.
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "coordinator/events/hub.hpp"
#include "coordinator/events/topics.hpp"

using dbg::coord::events::Hub;
using dbg::coord::events::Subscriber;

namespace {

class Recorder : public Subscriber {
 public:
  explicit Recorder(std::vector<std::string> topics = {}) : topics_(std::move(topics)) {}
  void deliver(std::shared_ptr<const std::string> message) override {
    std::lock_guard lock(mutex_);
    messages_.push_back(std::move(message));
  }
  bool wants(std::string_view topic) const override {
    if (topics_.empty()) return true;
    for (const auto& t : topics_) {
      if (t == topic) return true;
    }
    return false;
  }
  std::vector<nlohmann::json> events() const {
    std::lock_guard lock(mutex_);
    std::vector<nlohmann::json> out;
    for (const auto& m : messages_) out.push_back(nlohmann::json::parse(*m));
    return out;
  }
  std::vector<std::shared_ptr<const std::string>> raw() const {
    std::lock_guard lock(mutex_);
    return messages_;
  }

 private:
  const std::vector<std::string> topics_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<const std::string>> messages_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(event_has_seq_time_topic_type_and_data) {
  Hub hub;
  auto recorder = std::make_shared<Recorder>();
  hub.subscribe(recorder);
  auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  hub.publish("session", "created", {{"id", "s1"}, {"targets", 3}});
  auto events = recorder->events();
  BOOST_REQUIRE(events.size() == 1u);
  BOOST_TEST(events[0].at("seq") == 1);
  BOOST_TEST(events[0].at("time_ms").get<long long>() >= before);
  BOOST_TEST(events[0].at("topic") == "session");
  BOOST_TEST(events[0].at("type") == "created");
  BOOST_TEST(events[0].at("data") == (nlohmann::json{{"id", "s1"}, {"targets", 3}}));
  BOOST_TEST(hub.published() == 1u);
}

BOOST_AUTO_TEST_CASE(one_serialization_is_shared_by_all_subscribers) {
  Hub hub;
  auto a = std::make_shared<Recorder>();
  auto b = std::make_shared<Recorder>();
  hub.subscribe(a);
  hub.subscribe(b);
  hub.publish("job", "done", {});
  BOOST_REQUIRE(a->raw().size() == 1u);
  BOOST_REQUIRE(b->raw().size() == 1u);
  BOOST_TEST(a->raw()[0].get() == b->raw()[0].get());
}

BOOST_AUTO_TEST_CASE(seq_grows_by_one_even_for_events_nobody_wants) {
  Hub hub;
  auto snapshots = std::make_shared<Recorder>(std::vector<std::string>{"snapshot"});
  hub.subscribe(snapshots);
  hub.publish("session", "created", {});
  hub.publish("snapshot", "done", {{"n", 1}});
  hub.publish("job", "started", {});
  hub.publish("snapshot", "done", {{"n", 2}});
  auto events = snapshots->events();
  BOOST_REQUIRE(events.size() == 2u);
  BOOST_TEST(events[0].at("seq") == 2);
  BOOST_TEST(events[1].at("seq") == 4);
  BOOST_TEST(hub.published() == 4u);
}

BOOST_AUTO_TEST_CASE(concurrent_publishers_deliver_in_seq_order) {
  Hub hub;
  auto recorder = std::make_shared<Recorder>();
  hub.subscribe(recorder);
  constexpr int kThreads = 4;
  constexpr int kEach = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&hub, t] {
      for (int i = 0; i < kEach; ++i) hub.publish("worker", "tick", {{"thread", t}, {"i", i}});
    });
  }
  for (auto& thread : threads) thread.join();
  auto events = recorder->events();
  BOOST_REQUIRE(events.size() == static_cast<std::size_t>(kThreads * kEach));
  for (std::size_t i = 0; i < events.size(); ++i) {
    BOOST_REQUIRE(events[i].at("seq") == i + 1);
  }
  BOOST_TEST(hub.published() == static_cast<std::uint64_t>(kThreads * kEach));
}

BOOST_AUTO_TEST_CASE(destroyed_and_unsubscribed_subscribers_stop_receiving) {
  Hub hub;
  auto kept = std::make_shared<Recorder>();
  auto gone = std::make_shared<Recorder>();
  auto left = std::make_shared<Recorder>();
  hub.subscribe(kept);
  hub.subscribe(gone);
  hub.subscribe(left);
  BOOST_TEST(hub.subscribers() == 3u);
  gone.reset();
  BOOST_TEST(hub.subscribers() == 2u);
  hub.unsubscribe(left.get());
  BOOST_TEST(hub.subscribers() == 1u);
  hub.publish("batch", "done", {});
  BOOST_TEST(kept->raw().size() == 1u);
  BOOST_TEST(left->raw().empty());
}

// A subscriber whose last owner lets go while the hub is delivering to it: its destructor
// (which unsubscribes, as WebSocket sessions do) runs after the hub's lock is released, so
// this must not deadlock.
BOOST_AUTO_TEST_CASE(subscriber_destroyed_during_delivery_unsubscribes_without_deadlock) {
  struct SelfReleasing : Subscriber {
    Hub* hub = nullptr;
    std::shared_ptr<Subscriber>* owner = nullptr;
    bool* destroyed = nullptr;
    ~SelfReleasing() override {
      hub->unsubscribe(this);
      *destroyed = true;
    }
    void deliver(std::shared_ptr<const std::string>) override { owner->reset(); }
    bool wants(std::string_view) const override { return true; }
  };
  Hub hub;
  bool destroyed = false;
  auto subscriber = std::make_shared<SelfReleasing>();
  std::shared_ptr<Subscriber> owner = subscriber;
  subscriber->hub = &hub;
  subscriber->owner = &owner;
  subscriber->destroyed = &destroyed;
  hub.subscribe(owner);
  subscriber.reset();
  hub.publish("session", "created", {});
  BOOST_TEST(destroyed);
  BOOST_TEST(hub.subscribers() == 0u);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_in_payload_is_replaced_not_thrown) {
  Hub hub;
  auto recorder = std::make_shared<Recorder>();
  hub.subscribe(recorder);
  hub.publish("snapshot", "done", {{"comm", std::string("bad\xff")}});
  auto events = recorder->events();
  BOOST_REQUIRE(events.size() == 1u);
  BOOST_TEST(events[0].at("data").at("comm").get<std::string>().rfind("bad", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(dropped_clients_are_counted) {
  Hub hub;
  BOOST_TEST(hub.dropped_clients() == 0u);
  hub.count_dropped_client();
  hub.count_dropped_client();
  BOOST_TEST(hub.dropped_clients() == 2u);
}

BOOST_AUTO_TEST_CASE(known_topics_are_the_five_publishers_use) {
  using dbg::coord::events::is_known_topic;
  for (const char* topic : {"session", "batch", "snapshot", "job", "worker"}) BOOST_TEST(is_known_topic(topic));
  BOOST_TEST(!is_known_topic("Session"));
  BOOST_TEST(!is_known_topic(""));
}
