#pragma once
// `dbg-worker core <crash dir> %P %i %I %s %c %d %t %u %g %p %h %e %E`: the crash handler the
// kernel runs through core_pattern, once per crashing process, with the core on stdin
// (docs/crash-capture.md). The flow:
//   arguments -> RLIMIT_CORE 1 (a crash of ours is never dumped to us again) -> the core's head
//   (core_head.hpp) -> handler.json (core_config.hpp) -> the watch that selects the process
//   (core_select.hpp) -> the analysis in a bounded child when a slot is free (core_analysis.hpp)
//   or a minimal context -> the core handed on to the previous handler or file, or drained
//   (core_chain.hpp) -> the report spooled (core_spool.hpp) or counted (core_counters.hpp).
// The report is written after the chain because its handler fields say how the chain went and
// how big the core was; the analysis, the part that needs the live process, is done before it,
// since draining the core is what lets the kernel finish with the process.
// Whatever fails in our own code (an error, an exception), the core is still handed on or
// drained and the handler exits 0: the kernel does not care about our status, and the crashed
// process must not wait on us. Should the handler die of a signal, the kernel's next write fails
// and the dump ends, which releases the process as well (docs/crash-capture.md).
#include <string>
#include <vector>

namespace dbg::worker::core {

inline constexpr const char* kCoreUsage =
    "  dbg-worker core DIR %P %i %I %s %c %d %t %u %g %p %h %e %E\n"
    "                                      the crash handler the kernel runs through core_pattern,\n"
    "                                      the core on stdin; DIR is the coordinator's crash\n"
    "                                      directory (docs/crash-capture.md)\n";

// argv as main() got it ("dbg-worker", "core", ...). Returns the exit status: 0 once the core
// was read (whatever happened after), 2 for arguments that are not the kernel's.
int run_core_handler(const std::vector<std::string>& argv);

}  // namespace dbg::worker::core
