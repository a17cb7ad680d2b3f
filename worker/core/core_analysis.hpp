#pragma once
// The full analysis of a crash, in a child process: the ProcessCapture from the notes and the
// live process (core_capture.hpp), then the ptrace watch's own CrashContextBuilder on it, so the
// context is the watch's, key for key (and so is the error signature the coordinator computes).
// The child is what bounds the cost: RLIMIT_AS = analysis_max_memory_bytes, killed after
// time_limit_ms, and whatever goes wrong in libdw or in a hostile process's memory ends there,
// not in the handler, which still hands the core on.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "worker/core/core_args.hpp"
#include "worker/core/core_config.hpp"
#include "worker/core/core_notes.hpp"
#include "worker/watch/watch_protocol.hpp"

namespace dbg::worker::core {

struct AnalysisRun {
  std::optional<nlohmann::json> context;  // set when the child answered in time
  std::string failure;                    // else "timed_out", "analysis_failed" or "too_large"
  std::string detail;                     // for humans: how the child ended
  int64_t child_peak_rss_kb = 0;          // the child's ru_maxrss (wait4)
};

AnalysisRun run_analysis(const CrashArgs& args, const CoreNotes& notes, const std::string& comm, uint64_t start_time,
                         const WatchOptions& options, const HandlerLimits& limits, int64_t timestamp_ms);

}  // namespace dbg::worker::core
