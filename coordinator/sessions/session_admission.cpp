#include "coordinator/sessions/session_admission.hpp"

#include "coordinator/budget/shedding.hpp"

namespace dbg::coord::sessions {

std::optional<SessionRefusal> refuse_when_over_budget(budget::Shedding* shedding) {
  if (!shedding || !shedding->refuse_sessions()) return std::nullopt;
  shedding->count_refusal();
  return SessionRefusal{"the coordinator is over its memory or CPU budget and refuses new sessions until it is back "
                        "under it (GET /api/v1/stats, \"budget\")",
                        shedding->retry_after_s()};
}

void cap_profile_rate(budget::Shedding* shedding, SessionRequest& request) {
  if (!shedding || request.kind != "profile") return;
  const int capped = shedding->cap_profile_hz(request.profile_options.hz);
  if (capped == request.profile_options.hz) return;
  request.profile_options.hz = capped;
  request.options["hz"] = capped;
  shedding->count_capped();
}

}  // namespace dbg::coord::sessions
