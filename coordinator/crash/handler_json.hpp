#pragma once
// handler.json, the file `dbg-worker core` reads at every crash (docs/crash-capture.md): which
// processes get a report (the core-mode watches) and the handler's bounds. Built here (pure)
// and written with a temporary file + rename, so a handler starting mid-write reads the old
// file or the new one, never half of one.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dbg/error.hpp"

namespace dbg::coord::crash {

// One core-mode watch as the handler selects processes with it.
struct CoreWatchSpec {
  std::string id;
  std::optional<std::string> match;  // regex over comm and cmdline; none for `all`
  bool all = false;
  nlohmann::json options = nlohmann::json::object();  // max_depth, max_variables, max_threads
};

struct HandlerLimits {
  int time_limit_ms = 5000;
  int max_concurrent = 2;
  int64_t spool_max_files = 1000;
  int64_t spool_max_bytes = 64ll << 20;
  int64_t report_max_bytes = 1ll << 20;
  int64_t analysis_max_memory_bytes = 2ll << 30;
};

nlohmann::json handler_json(int owner_pid, const std::string& instance, const std::string& previous,
                            const std::vector<CoreWatchSpec>& watches, const HandlerLimits& limits);

// Writes `text` to a temporary file beside `path`, fsyncs and renames it over `path`
// (mode 0644: the handler runs as root anyway; nothing secret in it).
Result<void> write_file_atomic(const std::filesystem::path& path, const std::string& text);

}  // namespace dbg::coord::crash
