#pragma once
// The wall clock as the database and the API store it: milliseconds since the Unix epoch.
// One definition for every service (stored first_seen/last_seen, archive windows, watch ids)
// so that all of them agree on the unit. Durations use std::chrono::steady_clock instead.
#include <chrono>
#include <cstdint>

namespace dbg {

inline int64_t unix_time_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace dbg
