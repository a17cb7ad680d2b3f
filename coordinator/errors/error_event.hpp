#pragma once
// ErrorEvent: one occurrence of an error, whoever saw it: a watched process that crashed or
// exited non-zero (the watch manager), or an application that reported one
// (POST /api/v1/errors/events). The error groups (ErrorService) give every event a signature,
// count it in its group and store it; producers only fill this struct and hand it over.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dbg/snapshot.hpp"

namespace dbg::coord::errors {

inline constexpr size_t kMaxMessageChars = 500;

struct ErrorEvent {
  std::string source;  // "watch" or "api"
  std::string kind;    // "crash", "exit" (non-zero exit while watched) or "reported"
  // "SIGSEGV/SEGV_MAPERR", "exit/3", or what the application named ("ValueError").
  std::string type;
  std::string message;       // at most kMaxMessageChars (producers cut, the service cuts again)
  std::vector<Frame> frames;  // the failing thread's frames, innermost first
  int pid = 0;                // 0 when unknown (application reports may omit it)
  std::string comm;
  int64_t timestamp_ms = 0;   // Unix epoch, milliseconds
  // Everything else of the minimal context (fault address and class, registers, all threads,
  // key variables, exception), stored and served as-is.
  nlohmann::json context = nlohmann::json::object();
  // Set by producers that may hand the same occurrence over twice (a core-mode crash report is
  // re-read after a restart until its file is unlinked): an event whose key is already stored
  // (migrations/0009_ingest_keys.sql) is skipped inside the transaction that would store it.
  std::string ingest_key;
};

// Where producers hand events over. Called on any thread; must not block for long.
using ErrorRecorder = std::function<void(ErrorEvent)>;

}  // namespace dbg::coord::errors
