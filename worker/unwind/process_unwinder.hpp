#pragma once
// ProcessUnwinder: offline unwinding of captured threads with elfutils libdw.
// libdw gets the modules of the live process (/proc/PID/maps, ELF files from ElfCache) and our
// own thread callbacks: registers come from the capture and every memory read is served from
// the copied stacks, never from the live target, which has moved on since we resumed it.
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <elfutils/libdwfl.h>

#include "dbg/error.hpp"
#include "worker/capture/process_capture.hpp"
#include "worker/unwind/elf_cache.hpp"

namespace dbg::worker {

struct RawFrame {
  uint64_t pc = 0;
  bool activation = false;  // frame 0 (or a signal frame): pc is the faulting/current pc, not a return address
  // Registers of this frame in DWARF numbering (0..16, rip last), filled only when unwind() is
  // asked for them (the crash watch evaluates variable locations with them); bit n of
  // regs_known says whether libdw recovered register n for this frame.
  std::array<uint64_t, 17> regs{};
  uint32_t regs_known = 0;
};

struct UnwoundThread {
  std::vector<RawFrame> frames;
  bool hit_max_depth = false;
  bool ran_out_of_stack = false;  // unwinding wanted memory beyond the copied stack
  std::optional<Error> error;     // set when not even the first frame could be produced
};

class ProcessUnwinder {
 public:
  // Reports the modules of pid (reading its maps now) and attaches our thread callbacks.
  static Result<std::unique_ptr<ProcessUnwinder>> create(pid_t pid, ElfCache& elf_cache);
  ~ProcessUnwinder();
  ProcessUnwinder(const ProcessUnwinder&) = delete;
  ProcessUnwinder& operator=(const ProcessUnwinder&) = delete;

  // Unwinds one captured thread of `capture` (which must outlive the call). `with_registers`
  // also records each frame's recovered registers (RawFrame::regs); snapshots leave it off.
  UnwoundThread unwind(const ProcessCapture& capture, const ThreadCapture& thread, int max_depth,
                       bool with_registers = false);
  Dwfl* dwfl() const { return dwfl_; }
  pid_t pid() const { return pid_; }

 private:
  ProcessUnwinder(pid_t pid, Dwfl* dwfl) : pid_(pid), dwfl_(dwfl) {}
  static pid_t next_thread(Dwfl*, void* arg, void** thread_arg);
  static bool get_thread(Dwfl*, pid_t tid, void* arg, void** thread_arg);
  static bool memory_read(Dwfl*, Dwarf_Addr addr, Dwarf_Word* result, void* arg);
  static bool set_initial_registers(Dwfl_Thread* thread, void* thread_arg);
  static int on_frame(Dwfl_Frame* frame, void* arg);

  pid_t pid_;
  Dwfl* dwfl_;
  // What the callbacks read during one unwind() call.
  const ProcessCapture* capture_ = nullptr;
  const ThreadCapture* thread_ = nullptr;
  UnwoundThread* out_ = nullptr;
  int max_depth_ = 0;
  bool with_registers_ = false;
};

}  // namespace dbg::worker
