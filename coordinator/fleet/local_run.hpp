#pragma once
// A fleet task run on this host: the session a POST /api/v1/sessions with the same body would
// make, run by the local scheduler and pool, waited for, and summarized as the fleet stores it:
// {"local_session_id", "status", "targets", "done", "failed", "total_ms", "folded":{stack:count}}
// where folded sums the stacks of every target (a snapshot's threads, a profile's samples) in the
// folded format flame graph tools read ("main;work;leaf" -> count).
//
// Blocking (waits for the scheduler's callbacks): the fleet task thread only.
#include <chrono>
#include <functional>

#include <nlohmann/json.hpp>

#include "dbg/error.hpp"

namespace dbg::coord::sessions {
class Scheduler;
}
namespace dbg::coord::store {
class Store;
}

namespace dbg::coord::fleet {

// Distinct stacks kept in one host's summary; the rest are counted under "[other stacks]", so a
// host full of distinct stacks cannot make a fleet row of megabytes.
inline constexpr std::size_t kMaxFoldedStacks = 20000;

struct LocalRun {
  sessions::Scheduler& scheduler;
  store::Store& store;
  // Asked between waits; true stops waiting (the coordinator is stopping).
  std::function<bool()> stopping;
};

// `request`: {"kind","targets","options"}. Error bad_request when this host refuses the
// request (as its POST /api/v1/sessions would), timed_out past `deadline`.
Result<nlohmann::json> run_locally(const LocalRun& run, const nlohmann::json& request,
                                   std::chrono::steady_clock::time_point deadline);

// "a;b;c 3\n..." lines added into `into` (malformed lines skipped).
void add_folded(const std::string& text, nlohmann::json& into);

}  // namespace dbg::coord::fleet
