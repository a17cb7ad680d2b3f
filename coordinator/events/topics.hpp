#pragma once
// The topics events are published under. A client's ?topics= filter may only name these, so a
// typo is a 400 instead of a silent stream of nothing.
#include <array>
#include <string_view>

namespace dbg::coord::events {

inline constexpr std::string_view kTopicSession = "session";
inline constexpr std::string_view kTopicBatch = "batch";
inline constexpr std::string_view kTopicSnapshot = "snapshot";
inline constexpr std::string_view kTopicJob = "job";
inline constexpr std::string_view kTopicWorker = "worker";
inline constexpr std::string_view kTopicWatch = "watch";
inline constexpr std::string_view kTopicErrors = "errors";  // error groups (coordinator/errors/)
inline constexpr std::string_view kTopicProfile = "profile";
inline constexpr std::string_view kTopicArchive = "archive";  // archive runs (coordinator/archive/)
inline constexpr std::string_view kTopicBudget = "budget";    // the coordinator's own budget (coordinator/budget/)
inline constexpr std::string_view kTopicDetect = "detect";    // deadlock / busy-hang findings (coordinator/detect/)

inline constexpr std::array<std::string_view, 11> kTopics = {kTopicSession, kTopicBatch,   kTopicSnapshot, kTopicJob,
                                                             kTopicWorker,  kTopicWatch,   kTopicErrors,   kTopicProfile,
                                                             kTopicArchive, kTopicBudget,  kTopicDetect};

inline bool is_known_topic(std::string_view topic) {
  for (auto known : kTopics) {
    if (known == topic) return true;
  }
  return false;
}

}  // namespace dbg::coord::events
