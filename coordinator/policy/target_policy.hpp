#pragma once
// Which processes the coordinator may trace. The API can read the memory of anything it may
// trace, so every session and watch target passes through check() before a worker sees it.
// Denials carry a stable code (for the API's problem+json and for tests) and a human reason.
#include <sys/types.h>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "coordinator/procfs/proc_reader.hpp"

namespace dbg::coord::policy {

struct PolicyConfig {
  bool allow_other_users = false;         // else only processes with our own real uid (root: root's)
  std::optional<std::regex> allow_match;  // optional allowlist over comm and cmdline
};

// codes: "not_found","pid_1","coordinator","worker","kernel_thread","other_user","not_allowlisted";
// allowed decisions have an empty code and reason.
struct Decision {
  bool allowed = true;
  std::string code;
  std::string reason;
};

// Rules, in the order they are checked (the first that applies decides):
//   pid_1         never init: stopping it, even for microseconds, can stall the whole host
//   coordinator   never ourselves (a worker pausing the coordinator would deadlock the job)
//   worker        never a live worker: workers are tracers; tracing one breaks the pool
//   not_found     no such process, or it exited, or the pid is a thread id (not a process)
//   kernel_thread kernel threads cannot be ptraced and have no user stack
//   other_user    real uid differs from ours, unless allow_other_users
//   not_allowlisted  allow_match is set and matches neither comm nor cmdline
// comm and cmdline are chosen by the target's owner, so the allowlist narrows what may be
// traced among processes we are already allowed to see; it is not an authentication of them.
//
// Thread-safe: check() may run concurrently with itself and with set_worker_pids_provider().
// Movable (a moved-from policy must not be used), not copyable.
class TargetPolicy {
 public:
  TargetPolicy(PolicyConfig config, int coordinator_pid, std::string proc_root = "/proc");

  // Pids of live workers; called at each check (the pool changes). Must be thread-safe itself.
  // If it throws, check() denies with "worker": a policy that cannot tell must not allow.
  void set_worker_pids_provider(std::function<std::vector<int>()> provider);

  Decision check(int pid) const;                                // reads PROC_ROOT/PID
  Decision check(const procfs::ProcessSample& process) const;

  const PolicyConfig& config() const { return config_; }

 private:
  using Provider = std::function<std::vector<int>()>;

  // Identity rules that need only the pid (pid_1, coordinator, worker); nullopt if none applies.
  std::optional<Decision> check_identity(int pid) const;
  // The rules that need the process's /proc data (not_found .. not_allowlisted).
  Decision check_process(const procfs::ProcessSample& process) const;
  std::shared_ptr<const Provider> provider() const;

  PolicyConfig config_;
  int coordinator_pid_;
  std::string proc_root_;
  uid_t own_uid_;
  std::unique_ptr<std::mutex> provider_mutex_;
  std::shared_ptr<const Provider> provider_;  // guarded by provider_mutex_
};

}  // namespace dbg::coord::policy
