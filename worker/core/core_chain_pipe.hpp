#pragma once
// Chaining to a previous "|prog args" core_pattern: prog runs as the kernel's usermode helper
// would run it, with the core on its stdin. Verified on this kernel (6.18) with a probe helper:
// the kernel gives it an empty environment (coredump passes no envp to
// call_usermodehelper_setup), cwd "/", umask 022, nice 0, no blocked or ignored signal,
// RLIMIT_CORE {1,1} (so a crash of the helper itself is not dumped again), stdin the pipe, and
// with %F a pidfd of the crasher on fd 3; no other descriptor.
#include <string_view>

#include "worker/core/core_args.hpp"
#include "worker/core/core_chain.hpp"
#include "worker/core/core_chain_stream.hpp"
#include "worker/core/core_pattern_expand.hpp"

namespace dbg::worker::core {

// `body` is the pattern after its '|'. Feeds the whole stream (or drains what the helper does
// not take) and returns kind "pipe" with what happened; core_bytes is left to the caller.
ChainResult chain_to_pipe(std::string_view body, const CrashArgs& args, SpecifierFacts facts, CoreStream& stream,
                          const ChainOptions& options);

}  // namespace dbg::worker::core
