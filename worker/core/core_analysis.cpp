#include "worker/core/core_analysis.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "dbg/protocol.hpp"
#include "dbg/unique_fd.hpp"
#include "worker/core/core_capture.hpp"
#include "worker/core/core_context.hpp"
#include "worker/core/core_report.hpp"
#include "worker/watch/watch_crash_context.hpp"

namespace dbg::worker::core {

namespace {

using Clock = std::chrono::steady_clock;

// Exit codes of the child, for the detail text.
constexpr int kChildThrew = 70;
constexpr int kChildWriteFailed = 71;

bool write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

[[noreturn]] void analysis_child(int out_fd, const CrashArgs& args, const CoreNotes& notes, const std::string& comm,
                                 uint64_t start_time, const WatchOptions& options, const HandlerLimits& limits,
                                 int64_t timestamp_ms) {
  // Never outlive the handler, never read its core, never take more memory than allowed.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  ::prctl(PR_SET_NAME, "dbg-core-child");
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd >= 0) ::dup2(null_fd, 0);
  rlimit as{limits.analysis_max_memory_bytes, limits.analysis_max_memory_bytes};
  ::setrlimit(RLIMIT_AS, &as);
  int code = 0;
  try {
    CoreCapture cc = capture_from_core(args, notes, comm, start_time, options.max_threads);
    const CrashSignal s = crash_signal(args, &notes);
    CrashInput input;
    input.capture = &cc.capture;
    input.signal = s.signal;
    input.code = s.code;
    input.has_fault_address = s.has_fault_address;
    input.fault_address = s.fault_address;
    input.timestamp_ms = timestamp_ms;
    input.omitted_threads = cc.omitted_threads;
    input.options = options;
    nlohmann::json context;
    if (cc.capture.threads.empty()) {
      code = kChildThrew;  // no registers in the core: nothing to unwind
    } else {
      CrashContextBuilder builder;
      context = builder.build(input);
      // The parent takes at most report_max_bytes: drop the other threads here rather than lose
      // the crashing one there.
      fit_context(context, static_cast<size_t>(limits.report_max_bytes));
      if (!write_all(out_fd, protocol::dump(context))) code = kChildWriteFailed;
    }
  } catch (...) {
    code = kChildThrew;  // std::bad_alloc at the RLIMIT_AS bound among others
  }
  ::_exit(code);
}

std::string describe(bool reaped, int status) {
  if (!reaped) return "the analysis could not be reaped";
  if (WIFSIGNALED(status)) return std::string("the analysis died of ") + ::strsignal(WTERMSIG(status));
  if (WIFEXITED(status) && WEXITSTATUS(status) == kChildThrew) return "the analysis failed (an exception, or no registers in the core)";
  if (WIFEXITED(status)) return "the analysis exited with " + std::to_string(WEXITSTATUS(status));
  return "the analysis ended oddly";
}

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left, 1 << 30));
}

}  // namespace

AnalysisRun run_analysis(const CrashArgs& args, const CoreNotes& notes, const std::string& comm, uint64_t start_time,
                         const WatchOptions& options, const HandlerLimits& limits, int64_t timestamp_ms) {
  AnalysisRun run;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    run.failure = "analysis_failed";
    run.detail = std::string("pipe: ") + std::strerror(errno);
    return run;
  }
  UniqueFd in(fds[0]), out(fds[1]);
  const auto deadline = Clock::now() + std::chrono::milliseconds(limits.time_limit_ms);
  pid_t child = ::fork();
  if (child < 0) {
    run.failure = "analysis_failed";
    run.detail = std::string("fork: ") + std::strerror(errno);
    return run;
  }
  if (child == 0) {
    in.reset();
    analysis_child(out.get(), args, notes, comm, start_time, options, limits, timestamp_ms);
  }
  out.reset();

  // The answer, read as it comes, at most report_max_bytes (+1 to see that it was more).
  const size_t cap = static_cast<size_t>(limits.report_max_bytes) + 1;
  std::string text;
  bool timed_out = false, too_large = false;
  char buf[65536];
  for (;;) {
    pollfd p{in.get(), POLLIN, 0};
    int ready = ::poll(&p, 1, remaining_ms(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      timed_out = true;
      break;
    }
    ssize_t n = ::read(in.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(std::min<size_t>(static_cast<size_t>(n), cap - text.size())));
    if (text.size() >= cap) {
      too_large = true;
      break;
    }
  }
  // EOF: the child is exiting; it gets until the deadline to be gone.
  int status = 0;
  bool reaped = false;
  rusage usage{};
  while (!timed_out && !too_large) {
    pid_t r = ::wait4(child, &status, WNOHANG, &usage);
    if (r == child) {
      reaped = true;
      break;
    }
    if (r < 0 && errno != EINTR) break;
    if (remaining_ms(deadline) == 0) {
      timed_out = true;
      break;
    }
    ::usleep(1000);
  }
  if (!reaped) {
    // Bounded even now: a child stuck in uninterruptible sleep dies only when it wakes, and the
    // crashed process must not wait for that. Unreaped, it is init's once we exit.
    ::kill(child, SIGKILL);
    for (int i = 0; i < 2000 && !reaped; ++i) {
      reaped = ::wait4(child, &status, WNOHANG, &usage) == child;
      if (!reaped) ::usleep(1000);
    }
  }
  run.child_peak_rss_kb = usage.ru_maxrss;
  if (timed_out) {
    run.failure = "timed_out";
    run.detail = "killed after " + std::to_string(limits.time_limit_ms) + " ms";
    return run;
  }
  if (too_large) {
    run.failure = "too_large";
    run.detail = "the context is larger than report_max_bytes even with one thread";
    return run;
  }
  if (!reaped || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    run.failure = "analysis_failed";
    run.detail = describe(reaped, status);
    return run;
  }
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    run.failure = "analysis_failed";
    run.detail = "the analysis answered no JSON object";
    return run;
  }
  run.context = std::move(parsed);
  return run;
}

}  // namespace dbg::worker::core
