#pragma once
// The report the handler spools (docs/crash-capture.md, "A report"): the crash's identity, the
// watch that selected it, the process, the context and what the handler itself did. Bounded by
// report_max_bytes: a report over it loses the threads but the crashing one, and if that is not
// enough it becomes minimal with reason "too_large".
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "worker/core/core_args.hpp"
#include "worker/core/core_process.hpp"

namespace dbg::worker::core {

struct HandlerOutcome {
  std::string analysis = "full";  // "full" | "minimal"
  std::string reason;             // why minimal: "busy", "timed_out", "analysis_failed", "too_large"
  int64_t elapsed_ms = 0;
  int64_t peak_rss_kb = 0;
  uint64_t core_bytes = 0;
  std::string chain = "none";  // "none" | "pipe" | "file"
  std::string chain_result;
};

nlohmann::json build_report(const std::string& id, const CrashArgs& args, const std::string& watch_id,
                            const CrashedProcess& process, nlohmann::json context, const HandlerOutcome& handler);

// One line of JSON of at most max_bytes (invalid UTF-8 replaced, as every line we write), cut
// down as above when needed; the returned text is what goes to the spool.
std::string render_report(nlohmann::json report, size_t max_bytes);

// The context alone, cut to fit max_bytes the same way (the analysis child's answer to its
// parent): the threads but the crashing one go first. Unchanged when it fits.
void fit_context(nlohmann::json& context, size_t max_bytes);

}  // namespace dbg::worker::core
