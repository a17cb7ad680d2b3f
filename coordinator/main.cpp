// dbgcoord: flags, environment, config file -> Config -> run. Exit codes: 0 clean stop or --help, 1 runtime failure,
// 2 usage error (see config.hpp).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "coordinator/app.hpp"
#include "coordinator/config.hpp"
#include "coordinator/logging/log.hpp"

namespace {

// glibc's malloc, set for a server that keeps a modest heap and passes big transient buffers
// (issue #23: a session over 10,000 targets peaked at 54 MB RSS for a ~25 MB heap):
//  - at most 2 arenas: each thread that allocates (HTTP, the store's writer, the process table,
//    the blocking pool, the logger) otherwise gets an arena of its own, whose freed chunks stay
//    resident for that thread alone;
//  - blocks of 128 KiB and more mmap'ed, and returned to the kernel when freed: the session's
//    ~1.5 MB JSON text, response bodies and SQLite's records of it would otherwise raise the
//    dynamic threshold and leave the heap fragmented at its peak;
//  - the top of the heap trimmed beyond 128 KiB free.
// Measured (tests/targets/sleepers 10000, a session over them, source none): VmHWM 42.9 -> 33.9 MB,
// wall time unchanged. An operator's own MALLOC_ARENA_MAX / GLIBC_TUNABLES win: then nothing is set.
void tune_malloc() {
  if (std::getenv("GLIBC_TUNABLES") || std::getenv("MALLOC_ARENA_MAX")) return;
  mallopt(M_ARENA_MAX, 2);
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  mallopt(M_TRIM_THRESHOLD, 128 * 1024);
}

}  // namespace

int main(int argc, char** argv) {
  tune_malloc();  // before any thread
  using dbg::coord::CommandLine;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto command_line = dbg::coord::parse_command_line(args, dbg::coord::process_env(), dbg::coord::process_files());
  switch (command_line.action) {
    case CommandLine::Action::help:
      std::fputs(dbg::coord::help_text().c_str(), stdout);
      return dbg::coord::kExitOk;
    case CommandLine::Action::version:
      std::printf("dbgcoord %s\n", std::string(dbg::coord::version()).c_str());
      return dbg::coord::kExitOk;
    case CommandLine::Action::help_man:
      std::fputs(dbg::coord::man_page().c_str(), stdout);
      return dbg::coord::kExitOk;
    case CommandLine::Action::help_config:
      std::fputs(dbg::coord::config_file_template().c_str(), stdout);
      return dbg::coord::kExitOk;
    case CommandLine::Action::check_config:
      // Problems to stderr, one per line ("FILE:LINE: message"); "ok" alone on stdout.
      for (const std::string& problem : command_line.problems) std::fprintf(stderr, "%s\n", problem.c_str());
      if (!command_line.problems.empty()) return dbg::coord::kExitUsage;
      std::printf("ok\n");
      return dbg::coord::kExitOk;
    case CommandLine::Action::usage_error:
      std::fprintf(stderr, "dbgcoord: %s (see --help)\n", command_line.error.c_str());
      return dbg::coord::kExitUsage;
    case CommandLine::Action::run:
      break;
  }

  // Logs go to stderr; stdout carries only the startup line, so `dbgcoord | read line` works.
  spdlog::set_default_logger(spdlog::stderr_color_mt("dbgcoord"));
  // A client that disconnects mid-write must cost an EPIPE error, not the process. (Asio sends
  // with MSG_NOSIGNAL already; this also covers a closed stdout pipe.)
  std::signal(SIGPIPE, SIG_IGN);

  try {
    return dbg::coord::run(command_line.config);
  } catch (const std::exception& e) {
    DBG_LOG_ERROR("{}", e.what());
    return dbg::coord::kExitFailure;
  }
}
