#pragma once
// A handler's report (spool/new/<id>.json, docs/crash-capture.md) as an errors::ErrorEvent:
// the same conversion as a ptrace crash line (watch::crash_to_event on
// {"type":"crash","pid","context"}), so a crash gets the same signature, and lands in the same
// error group, whichever mode caught it. The context gains "mode":"core" and the report's
// "handler" and "process" objects. Reports are untrusted (a crashing process may be hostile and
// shape its own stack, comm and messages): every field is checked, nothing here throws.
#include <cstddef>
#include <string>
#include <string_view>

#include "coordinator/errors/error_event.hpp"
#include "dbg/error.hpp"

namespace dbg::coord::crash {

// Over this a report is refused unread (the handler's report_max_bytes is 1 MiB by default and
// at most what handler.json says; twice that leaves room for a raised limit).
inline constexpr std::size_t kMaxReportBytes = 4u << 20;
inline constexpr std::size_t kMaxIngestKeyBytes = 200;

struct CoreReport {
  std::string id;        // the ingest key: "<boot id>-<%P>-<%t>-<%I>"
  std::string watch_id;  // the core watch that selected the process ("" when none)
  int pid = 0;
  errors::ErrorEvent event;
};

// Error bad_request with what is wrong for a malformed report.
Result<CoreReport> parse_core_report(std::string_view text);

}  // namespace dbg::coord::crash
