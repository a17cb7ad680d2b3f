#include "worker/unwind/process_unwinder.hpp"

#include <dwarf.h>

#include <cstring>

namespace dbg::worker {

namespace {

const Dwfl_Callbacks kCallbacks = {
    .find_elf = ElfCache::find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = nullptr,
    .debuginfo_path = nullptr,
};

// Reads 8 bytes at addr from a thread's stack copy, if the copy covers them. addr comes from
// the target's registers and stack (libdw computes it from them), so any value is possible:
// compare offsets, never addr + 8, which wraps past 2^64 for addresses near the top and then
// passed the bounds check (found by fuzz/unwind_target.cpp; fuzz/corpus/unwind/crash-*).
bool read_from_copy(const ThreadCapture& t, uint64_t addr, Dwarf_Word* out) {
  if (addr < t.stack_start) return false;
  uint64_t offset = addr - t.stack_start;
  if (offset > t.stack.size() || t.stack.size() - offset < sizeof(Dwarf_Word)) return false;
  std::memcpy(out, t.stack.data() + offset, sizeof(Dwarf_Word));
  return true;
}

}  // namespace

Result<std::unique_ptr<ProcessUnwinder>> ProcessUnwinder::create(pid_t pid, ElfCache& elf_cache) {
  Dwfl* dwfl = dwfl_begin(&kCallbacks);
  if (!dwfl) return Error{"unwind_failed", std::string("dwfl_begin: ") + dwfl_errmsg(-1)};
  std::unique_ptr<ProcessUnwinder> self(new ProcessUnwinder(pid, dwfl));
  ElfCache::current() = {&elf_cache, pid};
  dwfl_report_begin(dwfl);
  int rc = dwfl_linux_proc_report(dwfl, pid);
  dwfl_report_end(dwfl, nullptr, nullptr);
  if (rc != 0) {
    if (rc == ENOENT || rc == ESRCH) return Error{"process_gone", "process " + std::to_string(pid) + " exited"};
    return Error{"unwind_failed", "reading the modules of " + std::to_string(pid) + ": " +
                                      (rc > 0 ? std::strerror(rc) : dwfl_errmsg(-1))};
  }
  static const Dwfl_Thread_Callbacks thread_callbacks = {
      .next_thread = next_thread,
      .get_thread = get_thread,
      .memory_read = memory_read,
      .set_initial_registers = set_initial_registers,
      .detach = nullptr,
      .thread_detach = nullptr,
  };
  if (!dwfl_attach_state(dwfl, nullptr, pid, &thread_callbacks, self.get()))
    return Error{"unwind_failed", std::string("dwfl_attach_state: ") + dwfl_errmsg(-1)};
  return self;
}

ProcessUnwinder::~ProcessUnwinder() { dwfl_end(dwfl_); }

pid_t ProcessUnwinder::next_thread(Dwfl*, void* arg, void** thread_arg) {
  // libdw only asks for threads we name through dwfl_getthread_frames; iteration is the
  // captured thread list, in order.
  auto* self = static_cast<ProcessUnwinder*>(arg);
  if (!self->capture_) return 0;
  size_t next = *thread_arg ? static_cast<size_t>(static_cast<const ThreadCapture*>(*thread_arg) - self->capture_->threads.data()) + 1 : 0;
  if (next >= self->capture_->threads.size()) return 0;
  *thread_arg = const_cast<ThreadCapture*>(&self->capture_->threads[next]);
  return self->capture_->threads[next].tid;
}

bool ProcessUnwinder::get_thread(Dwfl*, pid_t tid, void* arg, void** thread_arg) {
  auto* self = static_cast<ProcessUnwinder*>(arg);
  if (!self->thread_ || self->thread_->tid != tid) return false;
  *thread_arg = const_cast<ThreadCapture*>(self->thread_);
  return true;
}

bool ProcessUnwinder::memory_read(Dwfl*, Dwarf_Addr addr, Dwarf_Word* result, void* arg) {
  auto* self = static_cast<ProcessUnwinder*>(arg);
  if (self->thread_ && read_from_copy(*self->thread_, addr, result)) return true;
  // A pointer into another thread's stack (rare, e.g. a frame chain crossing threads).
  for (const auto& t : self->capture_->threads) {
    if (&t != self->thread_ && read_from_copy(t, addr, result)) return true;
  }
  // Beyond what we copied: we do not read the live target, whose stack has changed since.
  if (self->out_ && self->thread_ && addr >= self->thread_->stack_start + self->thread_->stack.size())
    self->out_->ran_out_of_stack = true;
  return false;
}

bool ProcessUnwinder::set_initial_registers(Dwfl_Thread* thread, void* thread_arg) {
  const auto* t = static_cast<const ThreadCapture*>(thread_arg);
  const user_regs_struct& r = t->regs;
  // DWARF register numbers for x86-64: rax, rdx, rcx, rbx, rsi, rdi, rbp, rsp, r8..r15, rip.
  const Dwarf_Word regs[17] = {r.rax, r.rdx, r.rcx, r.rbx, r.rsi, r.rdi, r.rbp, r.rsp, r.r8,
                               r.r9,  r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, r.rip};
  return dwfl_thread_state_registers(thread, 0, 17, regs);
}

int ProcessUnwinder::on_frame(Dwfl_Frame* frame, void* arg) {
  auto* self = static_cast<ProcessUnwinder*>(arg);
  Dwarf_Addr pc = 0;
  bool activation = false;
  if (!dwfl_frame_pc(frame, &pc, &activation)) return DWARF_CB_ABORT;
  if (static_cast<int>(self->out_->frames.size()) >= self->max_depth_) {
    self->out_->hit_max_depth = true;
    return DWARF_CB_ABORT;
  }
  RawFrame raw{pc, activation, {}, 0};
  if (self->with_registers_) {
    for (unsigned regno = 0; regno < raw.regs.size(); ++regno) {
      Dwarf_Word value = 0;
      if (dwfl_frame_reg(frame, regno, &value) == 0) {
        raw.regs[regno] = value;
        raw.regs_known |= 1u << regno;
      }
    }
  }
  self->out_->frames.push_back(raw);
  return DWARF_CB_OK;
}

UnwoundThread ProcessUnwinder::unwind(const ProcessCapture& capture, const ThreadCapture& thread, int max_depth,
                                      bool with_registers) {
  UnwoundThread out;
  if (!thread.have_registers) {
    out.error = thread.error.value_or(Error{"no_registers", "thread was not captured"});
    return out;
  }
  capture_ = &capture;
  thread_ = &thread;
  out_ = &out;
  max_depth_ = max_depth;
  with_registers_ = with_registers;
  ElfCache::current().pid = pid_;
  int rc = dwfl_getthread_frames(dwfl_, thread.tid, on_frame, this);
  // libdw ends most walks with an error ("no matching address range" at the outermost frame):
  // only a walk that produced nothing is a failure.
  if (rc == -1 && out.frames.empty()) out.error = Error{"unwind_failed", dwfl_errmsg(-1)};
  capture_ = nullptr;
  thread_ = nullptr;
  out_ = nullptr;
  return out;
}

}  // namespace dbg::worker
