#pragma once
// The coordinator's own cost, and its workers' memory, from /proc and getrusage. Cheap enough to
// call per scrape (one small /proc read per process).
#include <cstdint>
#include <optional>
#include <string_view>

namespace dbg::coord::metrics {

struct MemoryStatus {
  std::int64_t rss_bytes = 0;   // VmRSS: resident now
  std::int64_t peak_bytes = 0;  // VmHWM: the most ever resident (the process's high-water mark)
};

// pid 0 = this process. nullopt when the process is gone or its status unreadable.
std::optional<MemoryStatus> read_memory(int pid = 0);
// The VmRSS/VmHWM lines of a /proc/PID/status text (pure, for tests).
std::optional<MemoryStatus> parse_memory_status(std::string_view status_text);

struct CpuTimes {
  double user_seconds = 0, system_seconds = 0;
  double total() const { return user_seconds + system_seconds; }
};
// CPU time used by this process (all threads) since it started.
CpuTimes process_cpu();

}  // namespace dbg::coord::metrics
