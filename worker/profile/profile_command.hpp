#pragma once
// `dbg-worker profile PID [options]`: one profile from the command line (the same sampler the
// coordinator's jobs use). Ctrl-C stops it early and prints what was collected.
namespace dbg::worker {

// argv[1] is "profile". Returns the process exit code (0 done, 1 not profiled, 2 bad arguments).
int run_profile_command(int argc, char** argv);
extern const char* const kProfileUsage;

}  // namespace dbg::worker
