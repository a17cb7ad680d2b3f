#pragma once
// The snapshot domain model: what the worker returns, the coordinator stores and the API serves.
// JSON shape (stable; later features add fields, never rename):
//   {"pid", "comm", "consistency", "threads":[{"tid", "name", "state", "pause_us", "error":null|{code,message}, "truncated":null|"max_depth"|"stack_bytes",
//     "frames":[{"pc":"0x…", "function"|null, "module", "offset":"0x…", "file"|null, "line"|null, "inlined"}]}],
//    "capture_us", "unwind_us", "cache":{…}}
// A thread that sat in a blocking system call when stopped also has (only then: the key is absent
// otherwise) "wait":{"syscall":"futex", "addr":"0x…", "op":N, "mutex_owner":TID|null}.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "dbg/error.hpp"

namespace dbg {

struct Frame {
  uint64_t pc = 0;                  // the return address (or the faulting pc for frame 0)
  std::optional<std::string> function;  // demangled; nullopt when no symbol covers pc
  std::string module;               // module file name ("libc.so.6"), "[vdso]", or "?" if unmapped
  uint64_t offset = 0;              // ELF virtual address inside module (what addr2line -e wants)
  std::optional<std::string> file;  // source file when debug info exists
  std::optional<int> line;
  bool inlined = false;             // an inlined call inside the next (non-inlined) frame
};

// The system call a thread was blocked in when it was stopped, from its registers (x86_64:
// orig_rax = the syscall number, rdi/rsi its first arguments). Only futex waits are recorded:
// they are what mutexes, condition variables and joins block in, and what deadlock analysis
// needs (coordinator/detect/).
struct ThreadWait {
  std::string syscall = "futex";
  uint64_t addr = 0;  // the futex word (for a pthread mutex: the mutex itself, __lock at offset 0)
  int op = 0;         // the futex op as passed (FUTEX_WAIT_PRIVATE = 128, FUTEX_LOCK_PI = 6, ...)
  // When addr looks like a locked pthread_mutex_t: its __owner (glibc x86_64: the int at
  // offset 8), read while every thread was stopped (`process` consistency only), so it agrees
  // with the stacks. nullopt otherwise.
  std::optional<int> mutex_owner;
  bool operator==(const ThreadWait&) const = default;
};

struct ThreadStack {
  int tid = 0;
  std::string name;    // /proc/PID/task/TID/comm
  char state = '?';    // /proc state letter as seen just before capture
  double pause_us = 0; // how long this thread was stopped by us
  std::optional<Error> error;  // set when the thread could not be captured or unwound
  // Why the stack may be incomplete: "max_depth" (depth limit reached) or "stack_bytes"
  // (unwinding needed more stack than was copied); nullopt when the walk reached the end.
  std::optional<std::string> truncated;
  std::vector<Frame> frames;
  std::optional<ThreadWait> wait;  // set when the thread was blocked in futex()
};

struct CacheStats {
  uint64_t module_hits = 0, module_misses = 0;
  uint64_t symbol_hits = 0, symbol_misses = 0;
};

struct Snapshot {
  int pid = 0;
  std::string comm;
  std::string consistency = "thread";
  std::vector<ThreadStack> threads;
  double capture_us = 0;  // wall time of the capture phase (all pauses inside it)
  double unwind_us = 0;   // wall time of offline unwind + symbolization
  // The scheduling class the capture window ran in: "realtime" (SCHED_FIFO, held only for the
  // window) or "normal"; the reason a realtime request fell back ("" when it did not).
  std::string capture_sched = "normal";
  std::string capture_sched_reason;
  CacheStats cache;
};

void to_json(nlohmann::json& j, const Frame& f);
void from_json(const nlohmann::json& j, Frame& f);
void to_json(nlohmann::json& j, const ThreadWait& w);
void from_json(const nlohmann::json& j, ThreadWait& w);
void to_json(nlohmann::json& j, const ThreadStack& t);
void from_json(const nlohmann::json& j, ThreadStack& t);
void to_json(nlohmann::json& j, const Snapshot& s);
void from_json(const nlohmann::json& j, Snapshot& s);
void to_json(nlohmann::json& j, const Error& e);
void from_json(const nlohmann::json& j, Error& e);

// "0x1a2b" formatting shared by JSON and text output.
std::string hex(uint64_t v);

// Human-readable form, like eu-stack / gdb "thread apply all bt".
std::string format_text(const Snapshot& s);
// Pieces of the text form, shared by the grouped text (snapshot_views.hpp):
// "#3  0x00007f… name (file:line) - module+0xoff [inlined]\n", and "12 us" / "1.5 ms".
void append_frame_text(std::string& out, size_t index, const Frame& f);
std::string format_duration_us(double us);

}  // namespace dbg
