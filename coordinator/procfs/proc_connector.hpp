#pragma once
// The kernel's process events (the proc connector, CN_IDX_PROC over NETLINK_CONNECTOR): a new
// process, an exec, an exit, a comm or uid change are told as they happen, so the process table
// learns them without reading /proc. Subscribing needs CAP_NET_ADMIN in the initial network
// namespace (root on a host; usually refused in a container): open() then says why, and the
// table falls back to its /proc scans. The socket's queue is bounded: when a fork storm fills
// it, the kernel drops events and the next read reports ENOBUFS; drain() returns `overflowed`
// and the caller resyncs with a full scan.
#include <sys/types.h>

#include <functional>
#include <string>

#include "dbg/error.hpp"
#include "dbg/unique_fd.hpp"

namespace dbg::coord::procfs {

struct ProcEvent {
  enum class Kind { fork, exec, exit, comm, uid };
  Kind kind;
  pid_t pid;  // the process (thread group id); thread-level events are filtered out already
};

class ProcConnector {
 public:
  // Error "proc_connector_unavailable" with the reason (EPERM: not permitted here).
  static Result<ProcConnector> open();

  ProcConnector(ProcConnector&&) noexcept = default;
  ProcConnector& operator=(ProcConnector&&) noexcept = default;
  ProcConnector(const ProcConnector&) = delete;
  ProcConnector& operator=(const ProcConnector&) = delete;
  ~ProcConnector();  // unsubscribes (PROC_CN_MCAST_IGNORE), then closes

  // Non-blocking: poll() it for POLLIN.
  int fd() const { return fd_.get(); }

  struct Drained {
    std::size_t events = 0;   // process-level events handed to `each`
    bool overflowed = false;  // ENOBUFS: some events were lost, resync from /proc
  };
  // Reads every message queued now (never waits) and calls `each` per process-level event:
  // a fork that made a process (not a thread), an exec, the exit of a whole process (its leader
  // thread), a comm or uid change of a leader thread.
  Drained drain(const std::function<void(const ProcEvent&)>& each);

 private:
  explicit ProcConnector(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace dbg::coord::procfs
