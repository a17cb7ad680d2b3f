#include "worker/core/core_spool.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dbg/unique_fd.hpp"
#include "worker/core/core_slots.hpp"

namespace dbg::worker::core {

namespace {

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

bool write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool ends_with_json(const char* name) {
  size_t n = std::strlen(name);
  return n > 5 && std::strcmp(name + n - 5, ".json") == 0;
}

struct SpoolUse {
  uint64_t files = 0, bytes = 0;
};

// The reports waiting in spool/new (dir_fd), counted and sized.
SpoolUse spool_use(int dir_fd) {
  SpoolUse use;
  int fd = ::dup(dir_fd);
  if (fd < 0) return use;
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    return use;
  }
  ::rewinddir(d);
  while (dirent* e = ::readdir(d)) {
    if (!ends_with_json(e->d_name)) continue;
    struct stat st{};
    if (::fstatat(dir_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
    ++use.files;
    use.bytes += static_cast<uint64_t>(st.st_size);
  }
  ::closedir(d);
  return use;
}

}  // namespace

std::string boot_id() {
  UniqueFd fd(::open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC));
  char buf[64];
  ssize_t n = fd.valid() ? ::read(fd.get(), buf, sizeof buf) : -1;
  std::string id = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  return id.empty() ? "unknown-boot" : id;
}

std::string crash_id(const CrashArgs& args, const std::string& boot) {
  return boot + "-" + std::to_string(args.pid) + "-" + std::to_string(args.time_s) + "-" + std::to_string(args.tid);
}

SpoolResult spool_report(const std::string& crash_dir, const std::string& id, const std::string& text,
                         const HandlerLimits& limits) {
  SpoolResult result;
  const std::string spool = crash_dir + "/spool";
  if (!ensure_directory(spool) || !ensure_directory(spool + "/tmp") || !ensure_directory(spool + "/new")) {
    result.detail = "cannot make " + spool + "/tmp and /new";
    return result;
  }
  const std::string name = id + ".json";
  const std::string tmp_path = spool + "/tmp/" + name;

  // The whole report on disk before anyone can see it: the fsync before the rename.
  {
    UniqueFd fd(::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) {
      result.detail = errno_text(("open " + tmp_path).c_str());
      return result;
    }
    if (!write_all(fd.get(), text) || ::fsync(fd.get()) != 0 || fd.close() != 0) {
      result.detail = errno_text(("write " + tmp_path).c_str());
      ::unlink(tmp_path.c_str());
      return result;
    }
  }

  UniqueFd new_dir(::open((spool + "/new").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!new_dir.valid() || ::flock(new_dir.get(), LOCK_EX) != 0) {
    result.detail = errno_text("lock spool/new");
    ::unlink(tmp_path.c_str());
    return result;
  }
  const SpoolUse use = spool_use(new_dir.get());
  if (use.files + 1 > limits.spool_max_files || use.bytes + text.size() > limits.spool_max_bytes) {
    ::unlink(tmp_path.c_str());
    result.outcome = SpoolOutcome::kOverBounds;
    result.detail = "spool/new holds " + std::to_string(use.files) + " reports, " + std::to_string(use.bytes) + " bytes";
    return result;
  }
  UniqueFd tmp_dir(::open((spool + "/tmp").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!tmp_dir.valid() || ::renameat(tmp_dir.get(), name.c_str(), new_dir.get(), name.c_str()) != 0) {
    result.detail = errno_text("rename into spool/new");
    ::unlink(tmp_path.c_str());
    return result;
  }
  ::fsync(new_dir.get());  // the rename itself survives a power cut
  result.outcome = SpoolOutcome::kWritten;
  result.detail = spool + "/new/" + name;
  return result;
}

}  // namespace dbg::worker::core
