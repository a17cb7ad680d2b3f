#pragma once
// GroupChange: one group as a committed batch left it, for observers of the error groups (the
// error analysis: ErrorService::set_group_observer).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "coordinator/errors/error_event.hpp"

namespace dbg::coord::errors {

// The views are valid only during the observer call; `latest` and what comes with it are shared,
// immutable parts of the batch's latest event of the group, which an observer may keep as long as
// it likes without copying them (the store thread hands over a thousand groups a batch).
struct GroupChange {
  int64_t id = 0;
  bool created = false;
  std::string_view signature;
  std::string_view error_class;
  // The group's type and message (its first event's when created by this batch, else the
  // batch's latest event's: the same signature).
  std::string_view type;
  std::string_view message;
  std::shared_ptr<const ErrorEvent> latest;  // its context is in context_json (serialized)
  std::shared_ptr<const std::vector<std::string>> signature_frames;
  std::shared_ptr<const std::string> frames_json;  // latest's frames (latest->frames is empty)
  std::shared_ptr<const std::string> context_json;
};
// Called on the store thread after each COMMIT with the groups the batch touched; must be quick.
using GroupObserver = std::function<void(const std::vector<GroupChange>&)>;

}  // namespace dbg::coord::errors
