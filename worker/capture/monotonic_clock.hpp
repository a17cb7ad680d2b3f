#pragma once
// The worker's one clock for pauses and phases: CLOCK_MONOTONIC (never jumps with the wall
// clock), in microseconds as every duration the worker reports.
#include <time.h>

namespace dbg::worker {

inline double now_us() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

}  // namespace dbg::worker
