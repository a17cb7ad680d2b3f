#pragma once
// GroupPublisher: the error groups' changes on the event hub (topic "errors"), coalesced:
// committed batches' changes are gathered and published at most once per `interval` (the first
// change after a quiet period goes out at once), as "groups_created" and "groups_updated" with
// {"groups":[...]} (at most kGroupsPerHubEvent per event) and "group_reopened" per regression.
// So an ingest of 100,000 events/s costs the hub a few events per second, not 100,000.
// "group_status" (the API set a status) is published at once.
//
// Threads: add() and publish_status() from any thread (the store thread, after COMMIT); the
// coalesced publishing runs on `executor` (a timer), which must outlive the publisher's work.
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/errors/error_rows.hpp"

namespace dbg::coord::events {
class Hub;
}

namespace dbg::coord::errors {

struct BatchOutcome;

inline constexpr std::size_t kGroupsPerHubEvent = 200;

class GroupPublisher : public std::enable_shared_from_this<GroupPublisher> {
 public:
  GroupPublisher(std::shared_ptr<events::Hub> hub, boost::asio::any_io_executor executor, std::chrono::milliseconds interval)
      : hub_(std::move(hub)), executor_(std::move(executor)), interval_(interval) {}

  // A committed batch's groups: created, updated (latest counts win) and reopened.
  void add(const BatchOutcome& outcome);
  // "group_status" {"id", "status"}, now.
  void publish_status(int64_t id, const nlohmann::json& status);

 private:
  void schedule();  // mutex_ held
  void publish();

  const std::shared_ptr<events::Hub> hub_;
  const boost::asio::any_io_executor executor_;
  const std::chrono::milliseconds interval_;

  std::mutex mutex_;
  std::map<int64_t, nlohmann::json> pending_created_;  // id -> the new group
  std::map<int64_t, GroupCounts> pending_updated_;     // id -> latest counts
  std::vector<nlohmann::json> pending_reopened_;
  bool scheduled_ = false;
  std::chrono::steady_clock::time_point last_publish_{};
};

}  // namespace dbg::coord::errors
