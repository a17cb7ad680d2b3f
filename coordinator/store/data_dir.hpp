#pragma once
// The data directory holds the database (and later the API token): readable by the server's
// user only.
#include <filesystem>

namespace dbg::coord::store {

// Creates dir with mode 0700 if it is missing (its parents with the default mode) and returns
// it as an absolute, normalised path. Throws StoreError if it exists but is not a directory or
// cannot be created. An existing directory open to group or others is used, with a warning.
std::filesystem::path ensure_data_dir(const std::filesystem::path& dir);

}  // namespace dbg::coord::store
