#pragma once
// This host's standing in its fleet, as /healthz, /metrics and GET /api/v1/fleet report it:
// written by the publisher's thread, read by any.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace dbg::coord::fleet {

enum class FleetState {
  connecting,   // not connected yet, or reconnecting after a failure
  connected,    // registered, heartbeating, shipping
  unreachable,  // the last attempt failed; retried with backoff
  refused,      // the fleet schema is newer than this dbgcoord: nothing is published
};

const char* state_name(FleetState state);

class FleetStatus {
 public:
  void set(FleetState state, std::string detail = {});
  void shipped(int64_t through_id);
  FleetState state() const;
  // {"state", "detail" (the last error, never the URL), "since_ms", "shipped_through"}
  nlohmann::json to_json() const;

 private:
  mutable std::mutex mutex_;
  FleetState state_ = FleetState::connecting;
  std::string detail_;
  int64_t since_ms_ = 0;
  int64_t shipped_through_ = 0;
};

}  // namespace dbg::coord::fleet
