#include "coordinator/errors/group_publisher.hpp"

#include <boost/asio/steady_timer.hpp>
#include <string>

#include "coordinator/errors/batch_ingest.hpp"
#include "coordinator/events/hub.hpp"
#include "coordinator/events/topics.hpp"

namespace dbg::coord::errors {

namespace {

nlohmann::json counts_json(const GroupCounts& c) {
  return nlohmann::json{{"id", c.id},
                        {"count", c.count},
                        {"first_seen", c.first_seen},
                        {"last_seen", c.last_seen},
                        {"status", to_string(c.status)},
                        {"regressions", c.regressions}};
}

}  // namespace

void GroupPublisher::add(const BatchOutcome& outcome) {
  std::lock_guard lock(mutex_);
  for (const auto& t : outcome.touched) {
    if (t.created) {
      nlohmann::json g = counts_json(t.counts);
      g["signature"] = t.signature;
      g["error_class"] = t.first->error_class;
      g["type"] = t.first->event.type;
      g["message"] = t.first->event.message;
      g["class"] = nullptr;
      g["confidence"] = nullptr;
      pending_created_[t.counts.id] = std::move(g);
    } else if (auto created = pending_created_.find(t.counts.id); created != pending_created_.end()) {
      // Created earlier in this publishing window: its announcement carries the latest counts.
      const nlohmann::json latest = counts_json(t.counts);
      for (const auto& [key, value] : latest.items()) created->second[key] = value;
    } else {
      pending_updated_[t.counts.id] = t.counts;
    }
    if (t.reopened) {
      nlohmann::json r = counts_json(t.counts);
      r["signature"] = t.signature;
      pending_reopened_.push_back(std::move(r));
    }
  }
  schedule();
}

void GroupPublisher::publish_status(int64_t id, const nlohmann::json& status) {
  hub_->publish(std::string(events::kTopicErrors), "group_status", nlohmann::json{{"id", id}, {"status", status}});
}

void GroupPublisher::schedule() {
  if (scheduled_) return;
  if (pending_created_.empty() && pending_updated_.empty() && pending_reopened_.empty()) return;
  scheduled_ = true;
  // Leading edge after a quiet period, then at most once per interval.
  const auto due = last_publish_ + interval_;
  const auto now = std::chrono::steady_clock::now();
  const auto delay = due > now ? due - now : std::chrono::steady_clock::duration::zero();
  auto timer = std::make_shared<boost::asio::steady_timer>(executor_, delay);
  std::weak_ptr<GroupPublisher> weak = weak_from_this();
  timer->async_wait([weak, timer](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->publish();
  });
}

void GroupPublisher::publish() {
  std::map<int64_t, nlohmann::json> created;
  std::map<int64_t, GroupCounts> updated;
  std::vector<nlohmann::json> reopened;
  {
    std::lock_guard lock(mutex_);
    created.swap(pending_created_);
    updated.swap(pending_updated_);
    reopened.swap(pending_reopened_);
    scheduled_ = false;
    last_publish_ = std::chrono::steady_clock::now();
  }
  const std::string topic(events::kTopicErrors);
  // Chunks keep every WebSocket message small (clients' send queues are bounded in bytes).
  auto chunked = [&](const char* type, auto& items, auto&& convert) {
    auto groups = nlohmann::json::array();
    for (auto& item : items) {
      groups.push_back(convert(item));
      if (groups.size() == kGroupsPerHubEvent) {
        hub_->publish(topic, type, nlohmann::json{{"groups", std::move(groups)}});
        groups = nlohmann::json::array();
      }
    }
    if (!groups.empty()) hub_->publish(topic, type, nlohmann::json{{"groups", std::move(groups)}});
  };
  chunked("groups_created", created, [](auto& entry) { return std::move(entry.second); });
  chunked("groups_updated", updated, [](auto& entry) { return counts_json(entry.second); });
  for (auto& r : reopened) hub_->publish(topic, "group_reopened", std::move(r));
}

}  // namespace dbg::coord::errors
