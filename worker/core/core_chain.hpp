#pragma once
// Hands a crash's core on to whatever core_pattern said before our handler was installed
// (docs/crash-capture.md, "Chaining"), so that installing dbgcoord keeps the host's core dumps:
// - "" : nothing; the core is drained.
// - "|prog args": prog runs as the kernel would run it (its specifiers expanded from our
//   arguments, an empty environment, cwd "/", umask 022, RLIMIT_CORE 1, a pidfd on fd 3 for
//   %F) with the core on its stdin; we wait for it a bounded time after the end of the core.
// - a file pattern: the core file the kernel would have written, opened with the crasher's
//   identity, sparse, cut at the crasher's RLIMIT_CORE.
// - our own handler ("|…/dbg-worker core …") or a coredump socket ("@…"): not chained, drained.
// The core arrives once, as a stream: the bytes the handler already read, then the rest of stdin.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "worker/core/core_args.hpp"

namespace dbg::worker::core {

struct ChainResult {
  std::string kind;  // "none" | "pipe" | "file"
  std::string result;  // "ok", "ok: …" (done, with a remark), "skipped: …", "failed: …"
  uint64_t core_bytes = 0;  // bytes of the core seen on stdin, prefix included
};

// Hands the core on per `previous_pattern` (core_pattern's previous value): the bytes already
// read from stdin (`prefix`) first, then the rest of `in_fd` until EOF, in bounded pieces.
// Drains in_fd whatever happens. Never throws.
ChainResult chain_core(const std::string& previous_pattern, const CrashArgs& args, int in_fd,
                       std::span<const uint8_t> prefix);

// The bounds and host settings chain_core uses, for tests that must not wait 30 s or change a
// host-wide sysctl.
struct ChainOptions {
  // After the end of the core, how long a previous pipe handler may run before we stop waiting
  // (it is left running, never killed). With core_pipe_limit > 0 the kernel waits for our exit
  // before it lets the crasher go, so this bounds how long a crash holds the host.
  std::chrono::milliseconds wait_for_exit{30000};
  // A previous pipe handler that takes nothing from its stdin for this long is given up on: the
  // rest of the core is drained instead.
  std::chrono::milliseconds stall_limit{30000};
  // core_uses_pid; nullopt: read /proc/sys/kernel/core_uses_pid.
  std::optional<bool> core_uses_pid;
};

ChainResult chain_core(const ChainOptions& options, const std::string& previous_pattern, const CrashArgs& args,
                       int in_fd, std::span<const uint8_t> prefix);

}  // namespace dbg::worker::core
