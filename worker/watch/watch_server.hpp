#pragma once
// `dbg-worker watch`: the crash-watch loop (protocol in watch_protocol.hpp).
//
// Two threads. A reader thread only reads stdin lines into a queue and wakes the tracing thread
// through an eventfd. The tracing thread (the caller) does every ptrace and waitpid call —
// ptrace requests are only accepted from the thread that attached — and sleeps in poll() on
// that eventfd and a signalfd for SIGCHLD (blocked in both threads, so it is only ever read
// from the signalfd or sigtimedwait, never delivered to a handler).
#include <iosfwd>

namespace dbg::worker {

// Returns the process exit code (0 after EOF on stdin, every watched process released).
int run_watch_server(std::istream& in, std::ostream& out);

}  // namespace dbg::worker
