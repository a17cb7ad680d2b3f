// GCC 12 with -fsanitize=address,undefined reports a false -Wmaybe-uninitialized inside
// libstdc++'s regex compiler (std::function in _NFA states). It must be silenced before <regex>
// is first included, so this comes ahead of every include.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "coordinator/procfs/process_match.hpp"

#include <string>

namespace dbg::coord::procfs {

Result<std::regex> compile_pattern(std::string_view pattern) {
  if (pattern.empty()) return Error{"invalid_regex", "the regex is empty (it would match everything)"};
  if (pattern.size() > kMaxPatternLength) {
    return Error{"invalid_regex", "the regex is longer than " + std::to_string(kMaxPatternLength) + " characters"};
  }
  try {
    return std::regex(pattern.begin(), pattern.end(), std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return Error{"invalid_regex", "invalid regex \"" + std::string(pattern) + "\": " + e.what()};
  }
}

bool matches_comm_or_cmdline(const std::regex& pattern, const ProcessSample& process) {
  try {
    if (std::regex_search(process.comm, pattern)) return true;
    return !process.cmdline.empty() && std::regex_search(process.cmdline, pattern);
  } catch (const std::regex_error&) {
    return false;
  }
}

}  // namespace dbg::coord::procfs
