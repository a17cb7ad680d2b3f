#pragma once
// The "detect" option of POST /api/v1/sessions (kind "snapshot"):
//   "detect": "deadlock" | "hang" | ["deadlock","hang"]
//   "hang_snapshots": 2..20     (default 3; only with "hang")
//   "hang_interval_ms": 50..10000 (default 300; only with "hang")
// Any detect session takes `process`-consistency snapshots: the wait-for graph is only
// meaningful when every thread's stack and every mutex owner come from the same instant.
#include <optional>

#include <nlohmann/json.hpp>

#include "dbg/error.hpp"

namespace dbg::coord::detect {

struct DetectOptions {
  bool deadlock = false;
  bool hang = false;
  int hang_snapshots = 3;
  int hang_interval_ms = 300;
  // A thread is spinning when it was runnable ('R') in every snapshot and used at least this
  // share of one CPU between the first and the last. The state says it never blocked; the CPU
  // floor says it ran. The floor is low on purpose: on a loaded host (tests share 2 cores with
  // builds, load 20+) a spinning thread gets a small share of a CPU, a blocked one none at all.
  double hang_min_cpu = 0.05;
};

inline constexpr int kMinHangSnapshots = 2, kMaxHangSnapshots = 20;
inline constexpr int kMinHangIntervalMs = 50, kMaxHangIntervalMs = 10'000;

// Takes "detect", "hang_snapshots" and "hang_interval_ms" out of `options` (what is left are the
// worker's snapshot options). nullopt when there is no "detect"; Error{"bad_request"} for a bad
// value, for hang_* without "hang", or for "consistency":"thread" (detection needs "process").
Result<std::optional<DetectOptions>> take_detect_options(nlohmann::json& options);

// The worker's snapshot options for a detect job: `options` without the keys above and without
// "deadline_ms", with "consistency":"process".
nlohmann::json worker_options(nlohmann::json options);

}  // namespace dbg::coord::detect
