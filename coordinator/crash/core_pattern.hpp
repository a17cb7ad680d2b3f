#pragma once
// The kernel's /proc/sys/kernel/core_pattern as the coordinator sees it: the pattern that runs
// our handler (docs/crash-capture.md, "The contract"), and what an existing pattern is to us:
// ours, chainable (the handler hands the core on to it) or owned by something that cannot be
// chained. Pure except read/write, which take the file's path so tests can use a plain file.
#include <filesystem>
#include <string>
#include <string_view>

#include "dbg/error.hpp"

namespace dbg::coord::crash {

inline constexpr const char* kCorePatternFile = "/proc/sys/kernel/core_pattern";
// The kernel's limit (CORENAME_MAX_SIZE 128, with the terminating NUL).
inline constexpr std::size_t kMaxCorePattern = 127;

// `|<worker> core <crash dir> %P %i %I %s %c %d %t %u %g %p %h %e %E`. Both paths must be
// absolute and free of white space (the kernel splits the pattern on spaces); Error bad_request
// otherwise, or when the pattern would be longer than kMaxCorePattern (the kernel would cut it
// and run a handler with missing arguments).
Result<std::string> handler_pattern(const std::filesystem::path& worker, const std::filesystem::path& crash_dir);

enum class PatternOwner {
  ours,            // exactly our handler_pattern: installed already (a dbgcoord killed by SIGKILL)
  other_instance,  // `|…dbg-worker core <another crash dir> …`: another dbgcoord's
  socket,          // `@…`: a coredump socket (6.16+); its server would learn the crasher from us
  chainable,       // a file pattern or another `|handler`: the handler chains to it
};

// `current` as read (trailing newline allowed); `ours` the value handler_pattern gave.
PatternOwner classify_pattern(std::string_view current, std::string_view ours);
// For the 409: "a coredump socket (@/run/…)" or "another dbgcoord (crash dir /x)".
std::string describe_owner(std::string_view current);

// Without the trailing newline the kernel adds on reading.
Result<std::string> read_core_pattern(const std::filesystem::path& file = kCorePatternFile);
// Error forbidden when the file cannot be opened or written (not root, read-only /proc/sys in
// a container); internal for any other failure.
Result<void> write_core_pattern(const std::string& value, const std::filesystem::path& file = kCorePatternFile);

}  // namespace dbg::coord::crash
