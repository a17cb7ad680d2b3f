#include "worker/profile/perf_sample_decode.hpp"

#include <cstring>
#include <string>

namespace dbg::worker {

namespace {

// Reads fields in order from a bounded span; any read past the end fails and sticks.
class Reader {
 public:
  Reader(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  bool u64(uint64_t& out) { return bytes(&out, sizeof(out)); }
  bool u32(uint32_t& out) { return bytes(&out, sizeof(out)); }
  bool bytes(void* out, size_t n) {
    if (!ok_ || n > n_ - at_) return ok_ = false;
    std::memcpy(out, p_ + at_, n);
    at_ += n;
    return true;
  }
  // A span of n bytes in place (no copy), or nullptr.
  const uint8_t* take(size_t n) {
    if (!ok_ || n > n_ - at_) {
      ok_ = false;
      return nullptr;
    }
    const uint8_t* p = p_ + at_;
    at_ += n;
    return p;
  }
  size_t left() const { return n_ - at_; }

 private:
  const uint8_t* p_;
  size_t n_;
  size_t at_ = 0;
  bool ok_ = true;
};

Error bad(const std::string& what) { return Error{"bad_record", "perf sample: " + what}; }

}  // namespace

Result<void> decode_perf_sample(const uint8_t* record, size_t size, PerfSample& sample, ThreadCapture& thread) {
  thread.have_registers = false;
  thread.stack.clear();
  thread.stack_start = 0;
  perf_event_header header{};
  if (!record || size < sizeof(header)) return bad("shorter than its header");
  std::memcpy(&header, record, sizeof(header));
  if (header.type != PERF_RECORD_SAMPLE) return bad("not a sample record (type " + std::to_string(header.type) + ")");
  if (header.size != size) return bad("header size " + std::to_string(header.size) + " != record size " + std::to_string(size));
  Reader r(record + sizeof(header), size - sizeof(header));
  uint64_t abi = 0;
  if (!r.u64(sample.ip) || !r.u32(sample.pid) || !r.u32(sample.tid) || !r.u64(sample.time) || !r.u64(sample.period) ||
      !r.u64(abi))
    return bad("truncated before the registers");
  thread.tid = static_cast<pid_t>(sample.tid);
  uint64_t regs[kPerfRegsCount] = {};
  // ABI_NONE: the kernel had no user registers for this sample; then none follow.
  const bool have_regs = abi != PERF_SAMPLE_REGS_ABI_NONE;
  if (have_regs) {
    if (abi != PERF_SAMPLE_REGS_ABI_64) return bad("register ABI " + std::to_string(abi) + " (not 64-bit)");
    for (auto& v : regs)
      if (!r.u64(v)) return bad("truncated in the registers");
  }
  uint64_t stack_size = 0;
  if (!r.u64(stack_size)) return bad("truncated before the user stack");
  const uint8_t* stack = nullptr;
  uint64_t dyn_size = 0;
  if (stack_size != 0) {
    // size bytes of stack then dyn_size: compare against what is left, never add to the size
    // (a crafted size near 2^64 would wrap).
    if (stack_size > r.left() || r.left() - stack_size < sizeof(uint64_t)) return bad("user stack larger than the record");
    stack = r.take(stack_size);
    if (!r.u64(dyn_size)) return bad("truncated after the user stack");
    if (dyn_size > stack_size) return bad("stack dyn_size " + std::to_string(dyn_size) + " > size " + std::to_string(stack_size));
  }
  if (r.left() != 0) return bad(std::to_string(r.left()) + " bytes after the last field");
  if (!have_regs) return Error{"no_registers", "perf sample without user registers"};

  user_regs_struct& u = thread.regs;
  u = user_regs_struct{};
  // Values come in bit order of kPerfRegsMask: ax bx cx dx si di bp sp ip r8..r15.
  u.rax = regs[0];
  u.rbx = regs[1];
  u.rcx = regs[2];
  u.rdx = regs[3];
  u.rsi = regs[4];
  u.rdi = regs[5];
  u.rbp = regs[6];
  u.rsp = regs[7];
  u.rip = regs[8];
  u.r8 = regs[9];
  u.r9 = regs[10];
  u.r10 = regs[11];
  u.r11 = regs[12];
  u.r12 = regs[13];
  u.r13 = regs[14];
  u.r14 = regs[15];
  u.r15 = regs[16];
  thread.have_registers = true;
  thread.stack_start = u.rsp;  // the kernel dumps from the user sp up
  if (stack) thread.stack.assign(stack, stack + dyn_size);
  return {};
}

}  // namespace dbg::worker
