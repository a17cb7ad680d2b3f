#pragma once
// Pure parsers for the text of /proc/PID/stat and /proc/PID/status (shared by the worker and the
// coordinator), apart from the file reading
// so that odd inputs (a comm with spaces and parentheses, truncated lines) are unit-testable.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dbg::procfs {

// PF_KTHREAD from include/linux/sched.h: the stat flags bit that marks a kernel thread.
inline constexpr std::uint64_t kPfKthread = 0x00200000;

// The fields of /proc/PID/stat the coordinator uses (man 5 proc numbers them from 1).
struct StatFields {
  int pid = 0;               // 1
  std::string comm;          // 2, without the parentheses (at most 15 bytes, may hold ')' and ' ')
  char state = '?';          // 3
  int ppid = 0;              // 4
  std::uint64_t flags = 0;   // 9
  std::uint64_t utime = 0;   // 14, clock ticks
  std::uint64_t stime = 0;   // 15, clock ticks
  int threads = 0;           // 20
  std::uint64_t start_time = 0;  // 22, clock ticks since boot
  std::uint64_t rss_pages = 0;   // 24
};

// nullopt when the line is malformed or too short.
std::optional<StatFields> parse_stat(std::string_view text);

struct StatusFields {
  std::optional<unsigned long> real_uid;  // first number of "Uid:"
  std::optional<int> tgid;                // "Tgid:"
  std::optional<uint64_t> voluntary_ctxt_switches;  // how often the thread went to sleep by itself
};

StatusFields parse_status(std::string_view text);

// The contents of /proc/PID/cmdline made readable: NULs become spaces, trailing ones are dropped.
std::string cmdline_from_raw(std::string_view raw);

}  // namespace dbg::procfs
