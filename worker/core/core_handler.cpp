#include "worker/core/core_handler.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <iostream>
#include <optional>

#include "dbg/clock.hpp"
#include "worker/core/core_analysis.hpp"
#include "worker/core/core_args.hpp"
#include "worker/core/core_chain.hpp"
#include "worker/core/core_config.hpp"
#include "worker/core/core_context.hpp"
#include "worker/core/core_counters.hpp"
#include "worker/core/core_head.hpp"
#include "worker/core/core_process.hpp"
#include "worker/core/core_report.hpp"
#include "worker/core/core_select.hpp"
#include "worker/core/core_slots.hpp"
#include "worker/core/core_spool.hpp"

namespace dbg::worker::core {

namespace {

using Clock = std::chrono::steady_clock;

// The kernel starts the handler with only fd 0 (the core) open. Without this, the first files
// we open would become fds 1 and 2, and anything written to stdout or stderr would land in them.
void ensure_standard_fds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    int null_fd = ::open("/dev/null", O_RDWR);
    if (null_fd >= 0 && null_fd != fd) {
      ::dup2(null_fd, fd);
      ::close(null_fd);
    }
  }
}

// The handler and its analysis child live at the same time: the sum of their peaks bounds the
// joint one. Only the analysis child counts (wait4's usage of it): a previous handler the chain
// runs is the host's cost, not ours.
int64_t peak_rss_kb(int64_t analysis_child_kb) {
  rusage self{};
  ::getrusage(RUSAGE_SELF, &self);
  return static_cast<int64_t>(self.ru_maxrss) + analysis_child_kb;
}

// What the handler knows about the crash by the time it hands the core on.
struct PendingReport {
  std::string watch_id;
  CrashedProcess process;
  nlohmann::json context;
  HandlerOutcome outcome;
  HandlerLimits limits;
  int64_t analysis_child_kb = 0;
};

std::optional<PendingReport> analyse(const CrashArgs& args, const CoreHead& head, const HandlerConfig& config,
                                     int64_t crash_ms) {
  const CoreNotes* notes = head.notes ? &head.notes.value() : nullptr;
  CrashedProcess process = read_crashed_process(args, notes);
  const CoreWatch* watch = select_watch(config.watches, process.comm, process.cmdline);
  if (!watch) return std::nullopt;  // not ours: the core only goes on to the previous handler

  PendingReport r;
  r.watch_id = watch->id;
  r.limits = config.limits;
  auto minimal = [&](const std::string& reason) {
    r.context = minimal_context(args, notes, process.comm, crash_ms);
    r.outcome.analysis = "minimal";
    r.outcome.reason = reason;
  };
  if (!notes || notes->threads.empty()) {
    minimal("analysis_failed");  // no registers in the core (truncated, or not a core at all)
  } else if (auto slot = AnalysisSlot::try_acquire(args.crash_dir, config.limits.max_concurrent)) {
    AnalysisRun run = run_analysis(args, *notes, process.comm, process.start_time, watch->options, config.limits, crash_ms);
    r.analysis_child_kb = run.child_peak_rss_kb;
    if (run.context) {
      r.context = std::move(*run.context);
    } else {
      minimal(run.failure);
      std::cerr << "dbg-worker core: minimal report (" << run.failure << "): " << run.detail << "\n";  // for a run by hand
    }
  } else {
    minimal("busy");
  }
  r.process = std::move(process);
  return r;
}

void spool(const CrashArgs& args, PendingReport& r, const ChainResult& chain, Clock::time_point start) {
  r.outcome.core_bytes = chain.core_bytes;
  r.outcome.chain = chain.kind;
  r.outcome.chain_result = chain.result;
  r.outcome.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  r.outcome.peak_rss_kb = peak_rss_kb(r.analysis_child_kb);
  const std::string id = crash_id(args, boot_id());
  const int signal = r.context.value("signal", args.signal);
  const std::string text = render_report(build_report(id, args, r.watch_id, r.process, std::move(r.context), r.outcome),
                                         static_cast<size_t>(r.limits.report_max_bytes));
  SpoolResult spooled = spool_report(args.crash_dir, id, text, r.limits);
  if (spooled.outcome == SpoolOutcome::kWritten) return;
  // Over the bounds, or the spool failed: the crash is still counted.
  (void)count_dropped(args.crash_dir, DroppedCrash{r.process.exe, r.process.comm, signal, dbg::unix_time_ms()});
}

}  // namespace

int run_core_handler(const std::vector<std::string>& argv) {
  const auto start = Clock::now();
  const int64_t crash_ms = dbg::unix_time_ms();
  ensure_standard_fds();
  // The kernel already runs a pipe handler with RLIMIT_CORE 1 (its sign for "do not dump this to
  // a pipe again"); set here too so that a handler started otherwise, and its analysis child,
  // are never dumped to themselves.
  rlimit one{1, 1};
  ::setrlimit(RLIMIT_CORE, &one);
  ::prctl(PR_SET_NAME, "dbg-core");

  auto parsed = parse_crash_args(argv);
  if (!parsed) {
    // Exiting is what releases a crashed process fastest: its dump ends at the next write.
    std::cerr << "dbg-worker: " << parsed.error().message << "\nusage:\n" << kCoreUsage;
    return 2;
  }
  const CrashArgs& args = parsed.value();

  CoreHead head;
  std::string previous;
  std::optional<PendingReport> report;
  try {
    head = read_core_head(0);
    auto config = load_handler_config(args.crash_dir);
    if (config && config->previous_core_pattern) {
      previous = *config->previous_core_pattern;
    } else {
      previous = load_previous_core_pattern(args.crash_dir).value_or("");
    }
    if (config) report = analyse(args, head, config.value(), crash_ms);
  } catch (...) {
    // Our failure, not the crash's: the core is still handed on below. (bad_alloc, mostly.)
    report.reset();
  }

  const ChainResult chain = chain_core(previous, args, 0, head.prefix);

  if (report) {
    try {
      spool(args, *report, chain, start);
    } catch (...) {
      return 0;  // nothing left to hand on; the crash is lost to the coordinator only
    }
  }
  return 0;
}

}  // namespace dbg::worker::core
