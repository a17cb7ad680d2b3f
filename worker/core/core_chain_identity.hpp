#pragma once
// The crasher's filesystem identity, taken by the calling thread for the opens of a chained core
// file, so that the root handler creates nothing the crasher could not (the kernel opens the core
// with the crasher's own credentials). fsuid, fsgid and the supplementary groups are per-thread
// credentials in Linux when set with the raw system calls (glibc's setgroups() would change every
// thread), and moving fsuid away from 0 drops the filesystem capabilities (CAP_DAC_OVERRIDE,
// CAP_FOWNER, …) until it comes back (capabilities(7), "Effect of user ID changes").
#include <sys/types.h>

#include <string>
#include <vector>

#include "dbg/error.hpp"

namespace dbg::worker::core {

class FsIdentity {
 public:
  // Switches the calling thread; restores the previous identity on destruction.
  static Result<FsIdentity> enter(uid_t uid, gid_t gid, const std::vector<gid_t>& groups);
  FsIdentity(FsIdentity&& other) noexcept;
  FsIdentity& operator=(FsIdentity&&) = delete;
  FsIdentity(const FsIdentity&) = delete;
  ~FsIdentity();

 private:
  FsIdentity() = default;
  void restore();

  bool active_ = false;
  uid_t old_uid_ = 0;
  gid_t old_gid_ = 0;
  std::vector<gid_t> old_groups_;
};

// The supplementary groups of pid from /proc/PID/status, when its real uid and gid are `uid` and
// `gid` (the values the kernel passed): otherwise none, the narrowest choice.
std::vector<gid_t> crasher_groups(pid_t pid, uid_t uid, gid_t gid);

}  // namespace dbg::worker::core
