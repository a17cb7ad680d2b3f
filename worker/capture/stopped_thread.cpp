#include "worker/capture/stopped_thread.hpp"

#include <algorithm>
#include <string>

#include "worker/capture/futex_wait.hpp"
#include "worker/ptrace/ptrace_call.hpp"

namespace dbg::worker {

namespace {

constexpr uint64_t kRedZone = 128;  // x86-64 SysV: leaf functions may use 128 bytes below sp
constexpr uint64_t kPage = 4096;

}  // namespace

// One process_vm_readv of the stack. The remote range is cut at page boundaries so that the
// read stops cleanly at the first unmapped page (the top of the stack mapping) instead of
// failing as a whole: the kernel does not split one iovec element.
size_t copy_stack_at(StackReader& reader, pid_t memory_of, uint64_t start) {
  size_t budget = reader.buffer.size();
  reader.remote.clear();
  uint64_t addr = start, end = start + budget;
  while (addr < end) {
    uint64_t next = std::min(end, (addr / kPage + 1) * kPage);
    reader.remote.push_back(iovec{reinterpret_cast<void*>(addr), static_cast<size_t>(next - addr)});
    addr = next;
  }
  size_t copied = 0;
  // IOV_MAX (1024) bounds one call; budgets above 4 MiB take several.
  for (size_t i = 0; i < reader.remote.size(); i += 1024) {
    size_t n = std::min<size_t>(1024, reader.remote.size() - i);
    size_t want = 0;
    for (size_t k = i; k < i + n; ++k) want += reader.remote[k].iov_len;
    iovec local{reader.buffer.data() + copied, want};
    ssize_t got = ::process_vm_readv(memory_of, &local, 1, &reader.remote[i], n, 0);
    if (got <= 0) break;
    copied += static_cast<size_t>(got);
    if (static_cast<size_t>(got) < want) break;
  }
  return copied;
}

// The vector zero-fills the buffer: every page is touched now, not inside the pause.
StackReader::StackReader(size_t budget) : buffer(budget) { remote.reserve(budget / kPage + 2); }

bool read_stopped_registers(ThreadCapture& t) {
  if (auto r = ptrace_get_regset(t.tid, &t.regs, sizeof t.regs); !r) {
    t.error = r.error();
    return false;
  }
  t.have_registers = true;
  t.wait = futex_wait_from_registers(t.regs);
  return true;
}

size_t copy_stack_from_sp(ThreadCapture& t, pid_t memory_of, StackReader& reader) {
  t.stack_start = t.regs.rsp > kRedZone ? t.regs.rsp - kRedZone : 0;
  return copy_stack_at(reader, memory_of, t.stack_start);
}

size_t read_stopped_thread(ThreadCapture& t, StackReader& reader) {
  if (!read_stopped_registers(t)) return 0;
  return copy_stack_from_sp(t, t.tid, reader);
}

void keep_stack(ThreadCapture& t, const StackReader& reader, size_t copied) {
  if (!t.have_registers) return;
  if (copied == 0) {
    t.error = Error{"stack_unreadable", "could not read the stack at " + hex(t.regs.rsp)};
    return;
  }
  t.stack.assign(reader.buffer.begin(), reader.buffer.begin() + static_cast<std::ptrdiff_t>(copied));
}

void read_mutex_owners(std::vector<ThreadCapture>& threads) {
  for (auto& t : threads) {
    if (t.wait) read_mutex_owner(t.tid, *t.wait);
  }
}

}  // namespace dbg::worker
