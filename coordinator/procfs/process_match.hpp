#pragma once
// "Does this regex match the process?" — the one rule shared by ranking rules, the target
// allowlist and session targets given as {"match": "re"}: a search (not a full match) over comm,
// then over cmdline. And the one place user-supplied patterns are compiled.
#include <cstddef>
#include <regex>
#include <string_view>

#include "coordinator/procfs/proc_reader.hpp"
#include "dbg/error.hpp"

namespace dbg::coord::procfs {

// Longer patterns are refused: libstdc++ compiles and matches recursively, and no one needs a
// kilobyte of regex to name a process.
inline constexpr std::size_t kMaxPatternLength = 1024;

// Compiles a pattern from configuration or a request (ECMAScript syntax). Error code
// "invalid_regex" for an empty, too long or malformed pattern, with the reason.
// Prefer this to constructing std::regex directly: with GCC 12 and -fsanitize (DBG_SANITIZE)
// libstdc++'s regex compiler triggers a false -Wmaybe-uninitialized, silenced here once.
Result<std::regex> compile_pattern(std::string_view pattern);

// False (never an exception) when the regex engine gives up on an input (error_complexity,
// error_stack): a rule that cannot be evaluated does not apply, and an allowlist that cannot be
// evaluated does not allow.
bool matches_comm_or_cmdline(const std::regex& pattern, const ProcessSample& process);

}  // namespace dbg::coord::procfs
