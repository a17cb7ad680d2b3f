#pragma once
// handler.json, the coordinator's instructions to the crash handler (docs/crash-capture.md),
// read at every crash. Every field is checked on its own: one that is missing, of the wrong type
// or out of range takes its default (the documented values), and unknown fields are ignored, so
// a handler of one version keeps working with a coordinator of another. A file that is missing,
// unreadable, not JSON or of another "v" is an error: then no report is written, and the
// previous core_pattern comes from the plain file previous_core_pattern.
#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "dbg/error.hpp"
#include "worker/watch/watch_protocol.hpp"

namespace dbg::worker::core {

struct HandlerLimits {
  int64_t time_limit_ms = 5000;                              // 1 .. 600000
  int max_concurrent = 2;                                    // 0 .. 1024 (0: every crash minimal)
  uint64_t spool_max_files = 1000;                           // 0 .. 10^7
  uint64_t spool_max_bytes = uint64_t{64} << 20;             // 0 .. 2^50
  uint64_t report_max_bytes = uint64_t{1} << 20;             // 4096 .. 2^30
  uint64_t analysis_max_memory_bytes = uint64_t{2} << 30;    // 2^20 (1 MiB) .. 2^48
};

struct CoreWatch {
  std::string id;
  bool all = false;
  std::string match;                // the pattern as written, "" when none
  std::optional<std::regex> regex;  // nullopt when none or invalid: then the watch selects only with `all`
  WatchOptions options;
};

struct HandlerConfig {
  std::optional<std::string> previous_core_pattern;  // "previous":{"core_pattern":…}
  std::vector<CoreWatch> watches;                    // in file order; those without an id are dropped
  HandlerLimits limits;
};

// The same bound as the coordinator's compile_pattern (coordinator/procfs/process_match.hpp):
// libstdc++'s regex is recursive, and no one names a process with a kilobyte of regex.
inline constexpr size_t kMaxPatternLength = 1024;
// handler.json and previous_core_pattern are read up to these sizes.
inline constexpr size_t kMaxHandlerJsonBytes = size_t{4} << 20;
inline constexpr size_t kMaxCorePatternBytes = 128;  // the kernel's CORENAME_MAX_SIZE

Result<HandlerConfig> parse_handler_config(std::string_view text);
// <crash dir>/handler.json.
Result<HandlerConfig> load_handler_config(const std::string& crash_dir);
// <crash dir>/previous_core_pattern without its trailing newline; nullopt when unreadable.
std::optional<std::string> load_previous_core_pattern(const std::string& crash_dir);

// A whole small file, at most `limit` bytes (larger: nullopt), never through a symlink.
std::optional<std::string> read_small_file(const std::string& path, size_t limit);

}  // namespace dbg::worker::core
