#include "worker/capture/crash_stack.hpp"

namespace dbg::worker {

size_t copy_crash_stack(ThreadCapture& t, pid_t memory_of, StackReader& reader) {
  constexpr uint64_t kPage = 4096;
  size_t n = copy_stack_from_sp(t, memory_of, reader);
  const uint64_t sp = t.regs.rsp;
  for (uint64_t page = 0; n == 0 && page < 16; ++page) {
    t.stack_start = page == 0 ? sp : (sp / kPage + page) * kPage;
    n = copy_stack_at(reader, memory_of, t.stack_start);
  }
  return n;
}

}  // namespace dbg::worker
