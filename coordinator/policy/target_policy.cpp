#include "coordinator/policy/target_policy.hpp"

#include <unistd.h>

#include <algorithm>

#include "coordinator/procfs/process_match.hpp"

namespace dbg::coord::policy {

namespace {

Decision deny(std::string code, std::string reason) { return Decision{false, std::move(code), std::move(reason)}; }

}  // namespace

TargetPolicy::TargetPolicy(PolicyConfig config, int coordinator_pid, std::string proc_root)
    : config_(std::move(config)),
      coordinator_pid_(coordinator_pid),
      proc_root_(std::move(proc_root)),
      // The real uid, as the kernel's ptrace check uses it: a coordinator started through a
      // setuid wrapper still only gets its invoker's processes.
      own_uid_(::getuid()),
      provider_mutex_(std::make_unique<std::mutex>()) {}

void TargetPolicy::set_worker_pids_provider(std::function<std::vector<int>()> provider) {
  auto shared = provider ? std::make_shared<const Provider>(std::move(provider)) : nullptr;
  std::lock_guard lock(*provider_mutex_);
  provider_ = std::move(shared);
}

std::shared_ptr<const TargetPolicy::Provider> TargetPolicy::provider() const {
  std::lock_guard lock(*provider_mutex_);
  return provider_;
}

std::optional<Decision> TargetPolicy::check_identity(int pid) const {
  if (pid == 1) return deny("pid_1", "pid 1 (init) is never traced");
  if (pid == coordinator_pid_) return deny("coordinator", "pid " + std::to_string(pid) + " is the coordinator itself");
  // Called outside the mutex: the provider may take its own locks (the pool's) and be slow.
  if (auto provider = this->provider()) {
    std::vector<int> workers;
    try {
      workers = (*provider)();
    } catch (const std::exception& e) {
      return deny("worker", std::string("cannot list the worker pids (") + e.what() + "), so no target is allowed");
    }
    if (std::find(workers.begin(), workers.end(), pid) != workers.end()) {
      return deny("worker", "pid " + std::to_string(pid) + " is one of the coordinator's workers");
    }
  }
  return std::nullopt;
}

Decision TargetPolicy::check(int pid) const {
  // Identity first: it needs no /proc read and gives the most precise reason.
  if (auto denied = check_identity(pid)) return *denied;
  auto process = procfs::read_process(pid, proc_root_);
  if (!process) {
    return deny("not_found", "no process " + std::to_string(pid) + " (it may have exited, or it is a thread id)");
  }
  return check_process(*process);
}

Decision TargetPolicy::check(const procfs::ProcessSample& process) const {
  if (auto denied = check_identity(process.pid)) return *denied;
  return check_process(process);
}

Decision TargetPolicy::check_process(const procfs::ProcessSample& process) const {
  const std::string who = "pid " + std::to_string(process.pid);
  if (process.pid <= 0) return deny("not_found", "invalid pid " + std::to_string(process.pid));
  if (process.kernel_thread) return deny("kernel_thread", who + " is a kernel thread, which cannot be traced");
  if (!config_.allow_other_users && process.uid != own_uid_) {
    return deny("other_user", who + " belongs to uid " + std::to_string(process.uid) + ", not to the coordinator's uid " +
                                  std::to_string(own_uid_) + " (other users' processes are not allowed by configuration)");
  }
  if (config_.allow_match && !procfs::matches_comm_or_cmdline(*config_.allow_match, process)) {
    return deny("not_allowlisted", who + " matches the allowlist neither by comm nor by cmdline");
  }
  return Decision{};
}

}  // namespace dbg::coord::policy
