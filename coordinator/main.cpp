// dbgcoord: flags -> Config -> run. Exit codes: 0 clean stop or --help, 1 runtime failure,
// 2 usage error (see config.hpp).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "coordinator/app.hpp"
#include "coordinator/config.hpp"
#include "coordinator/logging/log.hpp"

int main(int argc, char** argv) {
  using dbg::coord::CommandLine;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto command_line = dbg::coord::parse_command_line(args, dbg::coord::process_env());
  switch (command_line.action) {
    case CommandLine::Action::help:
      std::fputs(dbg::coord::help_text().c_str(), stdout);
      return dbg::coord::kExitOk;
    case CommandLine::Action::version:
      std::printf("dbgcoord %s\n", std::string(dbg::coord::version()).c_str());
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
