#include "coordinator/errors/event_history.hpp"

#include <iterator>

#include "coordinator/errors/batch_ingest.hpp"

namespace dbg::coord::errors {

void EventHistory::assign(std::vector<EventSummary> events) {
  std::lock_guard lock(mutex_);
  events_.assign(std::make_move_iterator(events.begin()), std::make_move_iterator(events.end()));
}

void EventHistory::remember(const PreparedBatch& events, const BatchOutcome& outcome) {
  // Only the batch's last `capacity_` events would stay. Copied, not moved: observers may share
  // these events.
  const std::size_t from = events.size() > capacity_ ? events.size() - capacity_ : 0;
  std::lock_guard lock(mutex_);
  // Stored events have consecutive ids; skipped ones (group id 0: a known ingest key) have none.
  int64_t next_id = outcome.first_event_id;
  for (std::size_t i = 0; i < from; ++i) next_id += outcome.group_ids[i] != 0;
  for (std::size_t i = from; i < events.size(); ++i) {
    const PreparedEvent& p = *events[i];
    if (outcome.group_ids[i] == 0) continue;
    events_.push_back(EventSummary{next_id++, outcome.group_ids[i], p.received_at,
                                   p.event.timestamp_ms, p.event.source, p.event.kind, p.event.type, p.event.message,
                                   p.event.pid, p.event.comm});
    if (events_.size() > capacity_) events_.pop_front();
  }
}

nlohmann::json EventHistory::recent(std::size_t limit) const {
  auto out = nlohmann::json::array();
  std::lock_guard lock(mutex_);
  for (auto it = events_.rbegin(); it != events_.rend() && out.size() < limit; ++it) out.push_back(to_json(*it));
  return out;
}

std::size_t EventHistory::size() const {
  std::lock_guard lock(mutex_);
  return events_.size();
}

}  // namespace dbg::coord::errors
