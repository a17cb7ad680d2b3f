#pragma once
// Chaining to a previous file core_pattern: the core file the kernel would have written
// (fs/coredump.c, coredump_file), checked on this kernel where it could be without changing
// core_pattern:
// - nothing when the crasher is not dumpable (%d 0) or its RLIMIT_CORE (%c) is below a page;
// - the path is the admin's pattern with the escaped specifiers, nothing from the core or /proc;
//   relative to the crasher's cwd unless it starts with '/', and an absolute one is resolved in
//   the crasher's root (its container), as the kernel does from the crasher's own context;
// - opened with the crasher's fsuid, fsgid and groups, after unlinking what is there (a planted
//   symlink goes, its target is never written), with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, and
//   refused unless the new file is a regular one with one link, the crasher's owner and mode 0600;
// - %d 2 (suid_safe): only an absolute pattern, resolved from the real root, created as root,
//   and nothing unlinked first;
// - sparse, at most %c bytes written (core_file_writer.hpp).
#include <string_view>

#include "worker/core/core_args.hpp"
#include "worker/core/core_chain.hpp"
#include "worker/core/core_chain_stream.hpp"
#include "worker/core/core_pattern_expand.hpp"

namespace dbg::worker::core {

// Returns kind "file" with what happened; core_bytes is left to the caller, which also drains.
ChainResult chain_to_file(std::string_view pattern, const CrashArgs& args, const SpecifierFacts& facts,
                          CoreStream& stream, bool core_uses_pid);

}  // namespace dbg::worker::core
