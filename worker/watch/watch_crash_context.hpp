#pragma once
// CrashContextBuilder: the minimal context of a crash (watch_protocol.hpp has its JSON shape),
// built from registers and stack copies taken while every thread of the process was stopped,
// and from reads of the still-stopped process (maps, glibc's abort message, the exception
// header, variable values). Unwinding is the snapshot path's (ProcessUnwinder, Symbolizer); the
// caches live as long as the watcher.
#include <sys/types.h>

#include <cstdint>

#include <nlohmann/json.hpp>

#include "worker/capture/process_capture.hpp"
#include "worker/symbols/symbolizer.hpp"
#include "worker/unwind/elf_cache.hpp"
#include "worker/watch/watch_protocol.hpp"

namespace dbg::worker {

inline constexpr size_t kMaxCrashMessageChars = 500;

struct CrashInput {
  const ProcessCapture* capture = nullptr;  // threads[0] is the crashing thread
  int signal = 0;
  int code = 0;
  bool has_fault_address = false;
  uint64_t fault_address = 0;
  int64_t timestamp_ms = 0;
  size_t omitted_threads = 0;  // beyond options.max_threads
  WatchOptions options;
};

class CrashContextBuilder {
 public:
  CrashContextBuilder() = default;
  nlohmann::json build(const CrashInput& input);

 private:
  ElfCache elf_cache_;
  Symbolizer symbolizer_;
};

}  // namespace dbg::worker
