#include "worker/profile/profile_command.hpp"

#include <signal.h>

#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <string>

#include "dbg/profile.hpp"
#include "worker/profile/profile_sampler.hpp"

namespace dbg::worker {

const char* const kProfileUsage =
    "  dbg-worker profile PID [options]    sample every thread of PID, print the profile\n"
    "      --hz N                          samples per second, 1..1000 (default 99)\n"
    "      --duration S                    seconds (default 10); Ctrl-C stops early\n"
    "      --max-overhead-pct P            share of the target's time the sampling may cost (default 2)\n"
    "      --sampler auto|perf|ptrace      perf: perf_event_open, the target is never stopped; ptrace:\n"
    "                                      each sample pauses a thread; auto (default): perf when\n"
    "                                      permitted, else ptrace (the profile says why)\n"
    "      --exclude-idle                  only sample threads that are running\n"
    "      --max-bytes N                   sample buffer budget (default 50 MiB)\n"
    "      --max-depth N, --stack-bytes N, --source all|embedded|none   as for snapshot\n"
    "      --format json|folded            output (default json)\n";

namespace {

volatile sig_atomic_t interrupted = 0;
void on_sigint(int) { interrupted = 1; }

int usage(const std::string& message) {
  std::cerr << "dbg-worker: " << message << "\nusage:\n" << kProfileUsage;
  return 2;
}

}  // namespace

int run_profile_command(int argc, char** argv) {
  if (argc < 3) return usage("profile needs a PID");
  char* end = nullptr;
  errno = 0;
  long long pid = std::strtoll(argv[2], &end, 10);
  if (errno != 0 || *end != '\0' || pid <= 0 || pid > INT32_MAX) return usage(std::string("not a pid: ") + argv[2]);
  nlohmann::json options = nlohmann::json::object();
  std::string format = "json";
  for (int i = 3; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--exclude-idle") {
      options["include_idle"] = false;
      continue;
    }
    if (i + 1 >= argc) return usage(flag + " needs a value");
    std::string value = argv[++i];
    if (flag == "--format") {
      if (value != "json" && value != "folded") return usage("--format is json or folded");
      format = value;
      continue;
    }
    if (flag == "--source") {
      options["source"] = value;
      continue;
    }
    if (flag == "--sampler") {
      options["sampler"] = value;  // checked by parse_profile_options
      continue;
    }
    static const std::pair<const char*, const char*> kNumeric[] = {
        {"--hz", "hz"}, {"--duration", "duration_s"}, {"--max-overhead-pct", "max_overhead_pct"},
        {"--max-bytes", "max_bytes"}, {"--max-depth", "max_depth"}, {"--stack-bytes", "stack_bytes"}};
    bool known = false;
    for (const auto& [name, key] : kNumeric) {
      if (flag != name) continue;
      known = true;
      auto parsed = nlohmann::json::parse(value, nullptr, false);
      if (parsed.is_discarded() || !parsed.is_number()) return usage(flag + " wants a number, got " + value);
      options[key] = parsed;
    }
    if (!known) return usage("unknown option " + flag);
  }
  auto parsed = parse_profile_options(options);
  if (!parsed) return usage(parsed.error().message);

  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  ::sigaction(SIGINT, &sa, nullptr);
  ProfileSampler sampler;
  ProfileHooks hooks;
  hooks.should_stop = [] { return interrupted != 0; };
  auto profile = sampler.run(static_cast<pid_t>(pid), parsed.value(), hooks);
  if (!profile) {
    std::cerr << "dbg-worker: " << profile.error().code << ": " << profile.error().message << "\n";
    return 1;
  }
  if (format == "folded") {
    std::cout << format_profile_folded(profile.value());
  } else {
    std::cout << protocol::dump(nlohmann::json(profile.value())) << "\n";
  }
  return 0;
}

}  // namespace dbg::worker
