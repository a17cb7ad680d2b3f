#include "worker/core/core_chain_identity.hpp"

#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

namespace dbg::worker::core {

namespace {

// The raw system call: this thread only (glibc's wrapper broadcasts to every thread).
int thread_setgroups(const std::vector<gid_t>& groups) {
  return static_cast<int>(::syscall(SYS_setgroups, groups.size(), groups.empty() ? nullptr : groups.data()));
}

// setfsuid/setfsgid report no error; a second call with the same value returns the value now
// in force, which says whether the first one took.
bool set_fsuid(uid_t uid) {
  ::setfsuid(uid);
  return static_cast<uid_t>(::setfsuid(uid)) == uid;
}
bool set_fsgid(gid_t gid) {
  ::setfsgid(gid);
  return static_cast<gid_t>(::setfsgid(gid)) == gid;
}

}  // namespace

Result<FsIdentity> FsIdentity::enter(uid_t uid, gid_t gid, const std::vector<gid_t>& groups) {
  FsIdentity id;
  id.old_uid_ = static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1)));
  id.old_gid_ = static_cast<gid_t>(::setfsgid(static_cast<gid_t>(-1)));
  const int n = ::getgroups(0, nullptr);
  if (n < 0) return Error{"io_error", std::string("getgroups: ") + std::strerror(errno)};
  id.old_groups_.resize(static_cast<size_t>(n));
  if (n > 0 && ::getgroups(n, id.old_groups_.data()) != n)
    return Error{"io_error", std::string("getgroups: ") + std::strerror(errno)};
  id.active_ = true;  // from here the destructor puts back whatever was changed
  // Groups and fsgid first, fsuid last: should one step fail, the thread is never left with the
  // crasher's uid and our groups (and the destructor undoes what was done).
  if (thread_setgroups(groups) != 0) return Error{"permission_denied", std::string("setgroups: ") + std::strerror(errno)};
  if (!set_fsgid(gid)) return Error{"permission_denied", "setfsgid(" + std::to_string(gid) + ") did not take"};
  if (!set_fsuid(uid)) return Error{"permission_denied", "setfsuid(" + std::to_string(uid) + ") did not take"};
  return id;
}

FsIdentity::FsIdentity(FsIdentity&& other) noexcept
    : active_(std::exchange(other.active_, false)),
      old_uid_(other.old_uid_),
      old_gid_(other.old_gid_),
      old_groups_(std::move(other.old_groups_)) {}

FsIdentity::~FsIdentity() { restore(); }

void FsIdentity::restore() {
  if (!active_) return;
  active_ = false;
  // fsuid back first: returning to 0 raises the filesystem capabilities again.
  set_fsuid(old_uid_);
  set_fsgid(old_gid_);
  thread_setgroups(old_groups_);
}

std::vector<gid_t> crasher_groups(pid_t pid, uid_t uid, gid_t gid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  bool uid_ok = false, gid_ok = false;
  std::vector<gid_t> groups;
  bool have_groups = false;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key;
    fields >> key;
    unsigned long v = 0;
    if (key == "Uid:") {
      uid_ok = static_cast<bool>(fields >> v) && v == uid;
    } else if (key == "Gid:") {
      gid_ok = static_cast<bool>(fields >> v) && v == gid;
    } else if (key == "Groups:") {
      have_groups = true;
      while (fields >> v) groups.push_back(static_cast<gid_t>(v));
    }
  }
  if (!uid_ok || !gid_ok || !have_groups) return {};
  return groups;
}

}  // namespace dbg::worker::core
