#pragma once
// The crash as the core tells it (NT_SIGINFO: signal, si_code, fault address), and the minimal
// context: what a report carries when its stacks could not be taken (no free slot, the time
// limit, a failed analysis, a report too large). It has every key of the full context
// (watch_protocol.hpp) so that readers need no second shape, with the type, signal, code,
// message, pid, comm, tid, thread name, timestamp and fault filled in and no threads.
#include <cstdint>

#include <nlohmann/json.hpp>

#include "worker/core/core_args.hpp"
#include "worker/core/core_notes.hpp"

namespace dbg::worker::core {

struct CrashSignal {
  int signal = 0;
  int code = 0;
  bool has_fault_address = false;
  uint64_t fault_address = 0;
};

// From NT_SIGINFO; without one (a truncated or odd core), %s and code 0.
CrashSignal crash_signal(const CrashArgs& args, const CoreNotes* notes);

// The minimal context of this crash. The fault address is classified against the live
// /proc/PID/maps with every thread's sp from the notes (a mapping that holds one is a stack), as
// the full analysis does.
nlohmann::json minimal_context(const CrashArgs& args, const CoreNotes* notes, const std::string& comm, int64_t timestamp_ms);

// A full context cut down to the minimal one (its threads counted in omitted_threads).
nlohmann::json to_minimal(const nlohmann::json& context);

}  // namespace dbg::worker::core
