#pragma once
// spool/counters.json: the crashes the spool could not hold as reports, counted by executable
// and signal, so that none is lost from the counts however full the spool is:
//   {"v":1,"dropped":[{"exe","comm","signal","count","first_ms","last_ms"}]}
// At most kMaxCounterEntries entries; a crash that would need one more is counted under
// {"exe":"*","comm":"*","signal":0}. Read-modify-write under an exclusive flock on the file,
// rewritten in place (truncate, write, fsync). Whoever takes counts out (the coordinator) does
// so under the same flock; a handler that finds, once it holds the lock, that the path no longer
// names the file it locked (renamed or unlinked meanwhile) starts again on the new one.
#include <cstdint>
#include <string>
#include <string_view>

#include "dbg/error.hpp"

namespace dbg::worker::core {

inline constexpr size_t kMaxCounterEntries = 1000;

struct DroppedCrash {
  std::string exe;   // cut to 1024 bytes
  std::string comm;  // cut to 64 bytes
  int signal = 0;
  int64_t time_ms = 0;
};

// The counters' new text with this crash added to `current` (the file's text; empty, invalid or
// of another shape: a fresh file). Pure, for the tests.
std::string add_dropped(std::string_view current, const DroppedCrash& crash);

// Adds the crash to <crash dir>/spool/counters.json.
Result<void> count_dropped(const std::string& crash_dir, const DroppedCrash& crash);

}  // namespace dbg::worker::core
