#include "coordinator/fleet/fleet_status.hpp"

#include "dbg/clock.hpp"

namespace dbg::coord::fleet {

const char* state_name(FleetState state) {
  switch (state) {
    case FleetState::connecting: return "connecting";
    case FleetState::connected: return "connected";
    case FleetState::unreachable: return "unreachable";
    case FleetState::refused: return "refused";
  }
  return "unknown";
}

void FleetStatus::set(FleetState state, std::string detail) {
  std::lock_guard lock(mutex_);
  if (state != state_) since_ms_ = unix_time_ms();
  state_ = state;
  detail_ = std::move(detail);
}

void FleetStatus::shipped(int64_t through_id) {
  std::lock_guard lock(mutex_);
  shipped_through_ = through_id;
}

FleetState FleetStatus::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

nlohmann::json FleetStatus::to_json() const {
  std::lock_guard lock(mutex_);
  return {{"state", state_name(state_)},
          {"detail", detail_},
          {"since_ms", since_ms_},
          {"shipped_through", shipped_through_}};
}

}  // namespace dbg::coord::fleet
