// dbg-worker: the process that touches targets. Read-only ptrace, one job at a time.
//   dbg-worker snapshot PID [--max-depth N] [--consistency thread|process] [--stack-bytes N]
//                           [--source all|embedded|none] [--format json|text]
//                           [--capture-priority realtime|normal]
//   dbg-worker serve        JSON lines on stdin/stdout (the coordinator's protocol)
//   dbg-worker watch        crash watch of many processes, JSON lines (watch_protocol.hpp)
//   dbg-worker core DIR …   the crash handler core_pattern runs (core/core_handler.hpp)
#include <sys/prctl.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "dbg/protocol.hpp"
#include "dbg/snapshot.hpp"
#include "worker/capture/capture_priority.hpp"
#include "worker/core/core_handler.hpp"
#include "worker/profile/profile_command.hpp"
#include "worker/server/job_server.hpp"
#include "worker/snapshot/snapshotter.hpp"
#include "worker/watch/watch_server.hpp"

namespace {

const std::string kUsage =
    std::string("usage:\n"
    "  dbg-worker snapshot PID [options]   print every thread's stack of PID\n"
    "      --max-depth N                   frames per thread, 1..1024 (default 128)\n"
    "      --consistency thread|process    thread: pause one thread at a time (default);\n"
    "                                      process: stop all threads for one consistent instant\n"
    "      --stack-bytes N                 stack bytes copied per thread (default 65536)\n"
    "      --source all|embedded|none      source lines and inlined frames from: the module's\n"
    "                                      own DWARF and /usr/lib/debug (all, default), the\n"
    "                                      module's own DWARF only (embedded), or nowhere (none)\n"
    "      --format json|text              output format (default json)\n"
    "      --capture-priority realtime|normal  scheduling class of the capture window: realtime\n"
    "                                      (SCHED_FIFO while threads are stopped, when permitted;\n"
    "                                      default) or normal. Env: DBG_CAPTURE_PRIORITY\n"
    "  dbg-worker profile PID [options]    sampling profile (dbg-worker profile --help)\n"
    "  dbg-worker serve                    speak the JSON-lines job protocol on stdin/stdout\n"
    "  dbg-worker watch                    crash-watch processes named on stdin (JSON lines)\n") +
    dbg::worker::core::kCoreUsage + "  dbg-worker --help\n";

int usage_error(const std::string& message) {
  std::cerr << "dbg-worker: " << message << "\n" << kUsage;
  return 2;
}

bool parse_int(const char* s, long long& out) {
  char* end = nullptr;
  errno = 0;
  out = std::strtoll(s, &end, 10);
  return errno == 0 && end != s && *end == '\0';
}

int run_snapshot(int argc, char** argv) {
  if (argc < 3) return usage_error("snapshot needs a PID");
  long long pid = 0;
  if (!parse_int(argv[2], pid) || pid <= 0 || pid > INT32_MAX) return usage_error(std::string("not a pid: ") + argv[2]);
  nlohmann::json options = nlohmann::json::object();
  std::string format = "json";
  for (int i = 3; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) return usage_error(flag + " needs a value");
    const char* value = argv[++i];
    long long n = 0;
    if (flag == "--max-depth" || flag == "--stack-bytes") {
      if (!parse_int(value, n)) return usage_error(flag + " wants an integer, got " + value);
      options[flag == "--max-depth" ? "max_depth" : "stack_bytes"] = n;
    } else if (flag == "--consistency") {
      options["consistency"] = value;
    } else if (flag == "--source") {
      options["source"] = value;
    } else if (flag == "--format") {
      format = value;
      if (format != "json" && format != "text") return usage_error("--format is json or text");
    } else if (flag == "--capture-priority") {
      dbg::worker::CapturePolicy policy{};
      if (!dbg::worker::parse_capture_policy(value, policy))
        return usage_error(std::string("--capture-priority is realtime or normal, got ") + value);
      dbg::worker::set_capture_policy(policy);
    } else {
      return usage_error("unknown option " + flag);
    }
  }
  auto parsed = dbg::protocol::parse_snapshot_options(options);
  if (!parsed) return usage_error(parsed.error().message);

  dbg::worker::Snapshotter snapshotter;
  auto snap = snapshotter.snapshot(static_cast<pid_t>(pid), parsed.value());
  if (!snap) {
    std::cerr << "dbg-worker: " << snap.error().code << ": " << snap.error().message << "\n";
    return 1;
  }
  if (format == "text") {
    std::cout << dbg::format_text(snap.value());
  } else {
    std::cout << dbg::protocol::dump(nlohmann::json(snap.value())) << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage_error("missing command");
  std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (command == "snapshot") return run_snapshot(argc, argv);
  if (command == "profile") {
    if (argc == 3 && (std::string(argv[2]) == "--help" || std::string(argv[2]) == "-h")) {
      std::cout << "usage:\n" << dbg::worker::kProfileUsage;
      return 0;
    }
    return dbg::worker::run_profile_command(argc, argv);
  }
  if (command == "serve") {
    if (argc > 2) return usage_error("serve takes no arguments");
    std::ios::sync_with_stdio(false);
    dbg::worker::Snapshotter snapshotter;
    return dbg::worker::serve(std::cin, std::cout, snapshotter);
  }
  if (command == "core") return dbg::worker::core::run_core_handler(std::vector<std::string>(argv, argv + argc));
  if (command == "watch") {
    if (argc > 2) return usage_error("watch takes no arguments");
    // Its own name in ps/top and /proc/PID/comm: the watcher is long-lived and holds targets,
    // unlike the pool's short-job workers (tools and tests that count workers by name too).
    ::prctl(PR_SET_NAME, "dbg-watcher");
    std::ios::sync_with_stdio(false);
    return dbg::worker::run_watch_server(std::cin, std::cout);
  }
  return usage_error("unknown command " + command);
}
