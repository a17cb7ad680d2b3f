#pragma once
// Load shedding at the door of POST /api/v1/sessions (coordinator/budget/shedding.hpp, set by
// the BudgetMonitor): over the memory or CPU budget a new session is refused until the
// coordinator is back under it; under lighter pressure a new profile samples at a capped rate.
// Each refusal and each cap is counted (the budget's "refused" and "capped" counters).
// A null `shedding` (no budget monitor) sheds nothing.
#include <optional>
#include <string>

#include "coordinator/sessions/session_request.hpp"

namespace dbg::coord::budget {
class Shedding;
}

namespace dbg::coord::sessions {

struct SessionRefusal {
  std::string message;  // for the 503 problem
  int retry_after_s = 0;
};

// Checked before the body is parsed: refusing is the cheapest answer. Counts the refusal.
std::optional<SessionRefusal> refuse_when_over_budget(budget::Shedding* shedding);
// A profile asked at a rate the current stage caps: runs at the capped rate, which its options
// (what the worker gets, and what the session shows) say too. Counts the cap.
void cap_profile_rate(budget::Shedding* shedding, SessionRequest& request);

}  // namespace dbg::coord::sessions
