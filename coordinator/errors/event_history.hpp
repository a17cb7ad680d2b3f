#pragma once
// EventHistory: the last `capacity` committed events, without their frames and context
// (ErrorService::recent_events). Memory only; warmed from SQLite at start.
// Any thread (one lock, held for a batch's worth of copies).
#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/errors/error_rows.hpp"
#include "coordinator/errors/event_preparation.hpp"

namespace dbg::coord::errors {

struct BatchOutcome;

class EventHistory {
 public:
  explicit EventHistory(std::size_t capacity) : capacity_(capacity) {}

  // The events the last run left, oldest first.
  void assign(std::vector<EventSummary> events);
  // A committed batch's events, after its observers were told.
  void remember(const PreparedBatch& events, const BatchOutcome& outcome);
  // Newest first, at most `limit`.
  nlohmann::json recent(std::size_t limit) const;
  std::size_t size() const;

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<EventSummary> events_;
};

}  // namespace dbg::coord::errors
