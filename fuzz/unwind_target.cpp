// Fuzz entry for the offline unwinder (worker/process_unwinder): libdw walks a stack copy and
// registers that we make up from the input, against this process's real module map (its own
// executable, libc, libdw, ...: real CFI, real .eh_frame). Targets control every byte of their
// stacks and registers, so nothing here may be trusted: pcs outside any module, stack pointers
// outside the copy, frame chains that loop, return addresses in the middle of instructions.
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "fuzz_targets.hpp"
#include "worker/unwind/elf_cache.hpp"
#include "worker/unwind/process_unwinder.hpp"

namespace dbg::fuzz {

namespace {

// Reads the input front to back; past the end it yields zeros, so every input is usable.
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint64_t word() {
    uint64_t w = 0;
    for (int i = 0; i < 8; ++i) w |= uint64_t{byte()} << (8 * i);
    return w;
  }
  size_t remaining() const { return pos_ < size_ ? size_ - pos_ : 0; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Code addresses inside real modules of this process, so that many inputs reach libdw's CFI
// interpretation instead of stopping at "no module for pc".
std::vector<uint64_t> code_addresses() {
  return {reinterpret_cast<uint64_t>(&std::memcpy), reinterpret_cast<uint64_t>(&std::malloc),
          reinterpret_cast<uint64_t>(&::getpid), reinterpret_cast<uint64_t>(&unwind_one_input),
          reinterpret_cast<uint64_t>(&dwfl_getthread_frames), reinterpret_cast<uint64_t>(&check)};
}

struct UnwindFixture {
  worker::ElfCache elf_cache;
  std::unique_ptr<worker::ProcessUnwinder> unwinder;
  std::vector<uint64_t> code = code_addresses();

  UnwindFixture() {
    auto created = worker::ProcessUnwinder::create(::getpid(), elf_cache);
    check(created.ok(), "ProcessUnwinder::create on our own pid failed");
    unwinder = std::move(created.value());
  }
};

// A value of the kind a hostile or corrupted stack holds, chosen by the input: raw bytes, a
// code address (a plausible return address, give or take), a pointer back into the copied
// stack (loops), or an address where nothing is mapped.
uint64_t hostile_word(ByteReader& in, const std::vector<uint64_t>& code, uint64_t stack_start, size_t stack_size) {
  uint8_t kind = in.byte();
  switch (kind % 5) {
    case 0: return in.word();
    case 1: {
      uint64_t base = code[in.byte() % code.size()];
      uint64_t delta = in.byte() % 64;
      return base + delta - 16;
    }
    case 2: return stack_start + (stack_size ? (in.word() % stack_size) : 0);
    case 3: return 0x10 + in.byte();  // the null page
    default: return 0xdead000000000000ULL | in.word() >> 16;  // non-canonical
  }
}

// Registers first, then the stack (a count byte, then its words): a regression input can set
// exactly the registers it needs with a few bytes. Every read is its own statement, so the
// bytes map to values the same way under every compiler (the gcc-built replay test included).
worker::ThreadCapture make_thread(ByteReader& in, const std::vector<uint64_t>& code, pid_t tid, uint64_t stack_start) {
  worker::ThreadCapture t;
  t.tid = tid;
  t.have_registers = true;
  t.stack_start = stack_start;
  constexpr size_t kMaxWords = 8192;  // 64 KiB, the default stack copy
  size_t planned = kMaxWords * 8;     // pointers into the stack aim within this
  auto reg = [&] { return hostile_word(in, code, stack_start, planned); };
  t.regs.rip = reg();
  t.regs.rsp = reg();
  t.regs.rbp = reg();
  t.regs.rbx = reg();
  t.regs.r12 = reg();
  t.regs.r13 = reg();
  t.regs.r14 = reg();
  t.regs.r15 = reg();
  t.regs.rax = in.word();
  t.regs.rdi = in.word();
  size_t count_byte = in.byte();
  size_t words = std::min<size_t>(count_byte * 32 + in.remaining() / 4, kMaxWords);
  t.stack.resize(words * 8);
  for (size_t i = 0; i < words; ++i) {
    uint64_t w = hostile_word(in, code, stack_start, t.stack.size());
    std::memcpy(t.stack.data() + i * 8, &w, 8);
  }
  return t;
}

}  // namespace

void unwind_one_input(const uint8_t* data, size_t size) {
  static UnwindFixture fixture;  // libdw's module list of this process, read once
  ByteReader in(data, size);
  worker::ProcessCapture capture;
  capture.pid = ::getpid();
  // One or two threads: the unwinder serves reads from another thread's copy too.
  int threads = 1 + in.byte() % 2;
  uint64_t page = in.byte();
  uint64_t stack_start = 0x7ffd00000000ULL + (page << 12);
  for (int i = 0; i < threads; ++i) {
    capture.threads.push_back(make_thread(in, fixture.code, capture.pid + 1000 + i, stack_start + i * 0x100000));
  }
  bool with_registers = in.byte() & 1;
  for (const auto& thread : capture.threads) {
    auto out = fixture.unwinder->unwind(capture, thread, 128, with_registers);
    check(out.frames.size() <= 128, "unwinder went past max_depth");
    check(!out.error || out.frames.empty(), "an unwind error with frames");
  }
}

}  // namespace dbg::fuzz
