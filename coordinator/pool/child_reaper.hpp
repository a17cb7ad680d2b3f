#pragma once
// reap_when_exited: waits for one child of ours, without blocking the caller, until the kernel
// has made it a zombie and we have collected it with waitpid.
//
// Why not Boost.Process: in Boost 1.74, child::terminate() sends SIGKILL and then calls
// waitpid(WNOHANG) once ("just to clean it up"), and marks the child terminated whatever that
// returned, so a later child::wait() does nothing. A worker we see end (EOF on its stdout) has
// closed its files but is often not a zombie yet, so that single waitpid missed it and the
// worker stayed an unreaped zombie of dbgcoord for good (docs/operations.md, issue #9).
#include <sys/types.h>

#include <boost/asio/any_io_executor.hpp>
#include <functional>

namespace dbg::coord::pool {

// Collects `pid` (a child of this process that has been sent SIGKILL or is exiting) as soon as it
// has exited: polls waitpid(WNOHANG) on timers of `executor`, at growing intervals capped at
// 100 ms (a child in uninterruptible sleep may take long to die; it is never given up on).
// `on_reaped(wait_status)` runs on `executor` once reaped; -1 if the pid was no child of ours.
void reap_when_exited(boost::asio::any_io_executor executor, pid_t pid,
                      std::function<void(int wait_status)> on_reaped = nullptr);

}  // namespace dbg::coord::pool
