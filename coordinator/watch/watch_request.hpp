#pragma once
// POST /api/v1/watches bodies:
//   {"pid": 1234, "options": {...}}    watch one process until it ends
//   {"match": "regex", "options": {...}}  watch every process whose comm or cmdline matches, now
//                                         and later (polled), until the watch is deleted
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
  nlohmann::json options = nlohmann::json::object();  // validated, passed to the watcher as is
};

Result<WatchRequest> parse_watch_request(std::string_view body);

}  // namespace dbg::coord::watch
