#include "worker/core/core_slots.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>

namespace dbg::worker::core {

bool ensure_directory(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) == 0) return true;
  struct stat st{};
  return errno == EEXIST && ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::optional<AnalysisSlot> AnalysisSlot::try_acquire(const std::string& crash_dir, int max_concurrent) {
  const std::string dir = crash_dir + "/slots";
  if (max_concurrent <= 0 || !ensure_directory(dir)) return std::nullopt;
  for (int n = 0; n < max_concurrent; ++n) {
    const std::string path = dir + "/" + std::to_string(n);
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) continue;
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return AnalysisSlot(std::move(fd), n);
  }
  return std::nullopt;
}

}  // namespace dbg::worker::core
