#pragma once
// The kernel's arguments to `dbg-worker core` (docs/crash-capture.md, "The contract"):
//   dbg-worker core <crash dir> %P %i %I %s %c %d %t %u %g %p %h %e %E
// Positional because the kernel passes them so; every value is checked, since a handler started
// by hand (or a core_pattern someone else edited) can pass anything.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dbg/error.hpp"

namespace dbg::worker::core {

// The specifiers, in the order core_pattern passes them after the crash dir.
inline constexpr const char* kPatternSpecifiers = "%P %i %I %s %c %d %t %u %g %p %h %e %E";
inline constexpr int kSpecifierCount = 13;

struct CrashArgs {
  std::string crash_dir;     // absolute
  pid_t pid = 0;             // %P: in the initial pid namespace
  pid_t ns_tid = 0;          // %i: crashing thread, in the crasher's pid namespace
  pid_t tid = 0;             // %I: crashing thread, in the initial pid namespace
  int signal = 0;            // %s
  uint64_t core_limit = 0;   // %c: soft RLIMIT_CORE (UINT64_MAX when unlimited)
  int dump_mode = 0;         // %d: 0 not dumpable, 1 normal, 2 suid_safe
  int64_t time_s = 0;        // %t: seconds since the epoch
  uid_t uid = 0;             // %u: real uid of the crasher
  gid_t gid = 0;             // %g
  pid_t ns_pid = 0;          // %p: pid in the crasher's namespace
  std::string hostname;      // %h
  std::string comm;          // %e (the kernel has replaced '/' with '!')
  std::string exe_bang;      // %E: the executable's path with '!' for '/'

  // The original text of each specifier's value, by its letter ('P', 'i', …): what a chained
  // handler's own specifiers expand to.
  std::string value_of(char specifier) const;
};

// argv[0] = "dbg-worker", argv[1] = "core", then the crash dir and the 13 values.
Result<CrashArgs> parse_crash_args(const std::vector<std::string>& args);

}  // namespace dbg::worker::core
