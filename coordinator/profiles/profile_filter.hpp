#pragma once
// Views of a stored profile that GET /api/v1/profiles/{id} serves: today one thread's part
// (?thread=TID). Pure functions of the Profile, so they are tested without a server.
#include <optional>

#include "dbg/profile.hpp"

namespace dbg::coord::profiles {

// The profile with only thread tid's counts (other threads' rows stay in the thread table
// with 0 samples) and its total recomputed; nullopt when the profile has no thread tid.
std::optional<Profile> only_thread(Profile profile, int tid);

}  // namespace dbg::coord::profiles
