#pragma once
// POST /api/v1/watches bodies:
//   {"pid": 1234, "options": {...}}    watch one process until it ends
//   {"match": "regex", "options": {...}}  watch every process whose comm or cmdline matches, now
//                                         and later (polled), until the watch is deleted
//   "mode": "ptrace" (the default: the watcher seizes the processes) or "core" (the kernel's
//   core_pattern handler reports their crashes, coordinator/crash/): {"mode":"core","match":…}
//   or {"mode":"core","all":true} (every process on the host). A pid watch is ptrace only
//   (core mode with a pid: bad_request; use a match). "all" only in core mode.
// options (all optional): max_depth 1..1024 (20), max_variables 0..100 (10), max_threads
// 1..100000 (256). Unknown fields, wrong types, both or neither of pid/match: bad_request;
// an invalid regex: invalid_regex (both 400).
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "dbg/error.hpp"

namespace dbg::coord::watch {

struct WatchRequest {
  std::optional<int> pid;
  std::optional<std::string> match;
  std::string mode = "ptrace";
  bool all = false;
  nlohmann::json options = nlohmann::json::object();  // validated, passed to the watcher as is
};

Result<WatchRequest> parse_watch_request(std::string_view body);

}  // namespace dbg::coord::watch
