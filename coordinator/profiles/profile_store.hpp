#pragma once
// Profiles in the store (migrations/0003_profiles.sql), through Store::write/read so that the
// SQL stays here. Callbacks run on the store thread, like every Store callback.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "dbg/error.hpp"
#include "dbg/profile.hpp"

namespace dbg::coord::store {
class Store;
}

namespace dbg::coord::profiles {

struct StoredProfile {
  int64_t id = 0;
  std::string session_id;
  int64_t created_at_ms = 0;
  Profile profile;
};

// done(id) after COMMIT.
void save_profile(store::Store& store, std::string session_id, const Profile& profile,
                  std::function<void(Result<int64_t>)> done);
// nullopt when no profile has that id (or its body cannot be read: logged).
void load_profile(store::Store& store, int64_t id, std::function<void(std::optional<StoredProfile>)> done);

// The profile's scalar fields (everything but the tables), for summaries and session views.
nlohmann::json profile_summary(const Profile& p);

}  // namespace dbg::coord::profiles
