#include "coordinator/store/data_dir.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "coordinator/logging/log.hpp"
#include "coordinator/store/store_error.hpp"

namespace dbg::coord::store {

namespace fs = std::filesystem;

std::filesystem::path ensure_data_dir(const fs::path& dir) {
  std::error_code ec;
  fs::path path = fs::absolute(dir, ec).lexically_normal();
  if (ec) throw StoreError("data directory " + dir.string() + ": " + ec.message());
  // "a/b/" normalises to "a/b/"; drop the empty last component so messages and the database
  // path read cleanly.
  if (!path.has_filename() && path.has_parent_path() && path != path.root_path()) path = path.parent_path();

  if (!fs::exists(path, ec)) {
    if (path.has_parent_path()) {
      fs::create_directories(path.parent_path(), ec);
      if (ec) throw StoreError("cannot create data directory " + path.string() + ": " + ec.message());
    }
    // mkdir(2) rather than create_directories: the mode must be set at creation, so there is no
    // moment in which the directory is open to others.
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
      throw StoreError("cannot create data directory " + path.string() + ": " + std::strerror(errno));
    }
  }
  auto status = fs::status(path, ec);
  if (ec) throw StoreError("data directory " + path.string() + ": " + ec.message());
  if (!fs::is_directory(status)) throw StoreError("data directory " + path.string() + " exists but is not a directory");
  auto perms = status.permissions();
  if ((perms & (fs::perms::group_all | fs::perms::others_all)) != fs::perms::none) {
    DBG_LOG_WARN("data directory {} is accessible to other users; consider chmod 700", path.string());
  }
  return path;
}

}  // namespace dbg::coord::store
