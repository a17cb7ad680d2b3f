// The perf sample decoder on crafted records: a well-formed one gives the registers and stack
// the unwinder reads; a truncated record (at every length), one with bytes left over, a stack
// size larger than the record (up to 2^64 - 1), dyn_size above size, a 32-bit or missing
// register set, a header whose size is not the record's: refused, never read past the end.
#define BOOST_TEST_MODULE worker_perf_decode
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <vector>

#include "worker/profile/perf_sample_decode.hpp"

using namespace dbg::worker;

namespace {

struct Crafted {
  uint64_t abi = PERF_SAMPLE_REGS_ABI_64;
  uint64_t stack_size = 64;
  uint64_t dyn_size = 48;
  size_t stack_bytes_present = 64;  // bytes actually written for the stack
  size_t trailing = 0;               // bytes after dyn_size
  uint32_t type = PERF_RECORD_SAMPLE;
};

void put64(std::vector<uint8_t>& b, uint64_t v) {
  uint8_t raw[8];
  std::memcpy(raw, &v, 8);
  b.insert(b.end(), raw, raw + 8);
}

std::vector<uint8_t> record(const Crafted& c) {
  std::vector<uint8_t> b(sizeof(perf_event_header));
  put64(b, 0x401000);                              // ip
  put64(b, (uint64_t{4242} << 32) | 4241);          // pid 4241, tid 4242
  put64(b, 123456789);                             // time
  put64(b, 10'000'000);                            // period
  put64(b, c.abi);
  if (c.abi != PERF_SAMPLE_REGS_ABI_NONE)
    for (uint64_t i = 0; i < kPerfRegsCount; ++i) put64(b, 0x1000 + i);  // reg i = 0x1000 + i
  put64(b, c.stack_size);
  for (size_t i = 0; i < c.stack_bytes_present; ++i) b.push_back(static_cast<uint8_t>(i));
  if (c.stack_size != 0) put64(b, c.dyn_size);
  b.insert(b.end(), c.trailing, 0xee);
  perf_event_header h{c.type, 0, static_cast<uint16_t>(b.size())};
  std::memcpy(b.data(), &h, sizeof(h));
  return b;
}

dbg::Result<void> decode(const std::vector<uint8_t>& b, ThreadCapture& t) {
  PerfSample s;
  return decode_perf_sample(b.data(), b.size(), s, t);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_well_formed_sample_gives_registers_and_the_stack_copy) {
  auto b = record({});
  ThreadCapture t;
  PerfSample s;
  auto r = decode_perf_sample(b.data(), b.size(), s, t);
  BOOST_REQUIRE_MESSAGE(r.ok(), r.error().message);
  BOOST_TEST(s.pid == 4241u);
  BOOST_TEST(s.tid == 4242u);
  BOOST_TEST(s.period == 10'000'000u);
  BOOST_TEST(t.tid == 4242);
  BOOST_TEST(t.have_registers);
  // Mask order: ax bx cx dx si di bp sp ip r8..r15.
  BOOST_TEST(t.regs.rax == 0x1000u);
  BOOST_TEST(t.regs.rbx == 0x1001u);
  BOOST_TEST(t.regs.rbp == 0x1006u);
  BOOST_TEST(t.regs.rsp == 0x1007u);
  BOOST_TEST(t.regs.rip == 0x1008u);
  BOOST_TEST(t.regs.r8 == 0x1009u);
  BOOST_TEST(t.regs.r15 == 0x1010u);
  BOOST_TEST(t.stack_start == 0x1007u);
  BOOST_REQUIRE(t.stack.size() == 48u);  // dyn_size, not size
  BOOST_TEST(t.stack[47] == 47);
}

BOOST_AUTO_TEST_CASE(a_sample_without_a_stack_dump_is_accepted_with_an_empty_stack) {
  Crafted c;
  c.stack_size = 0;
  c.stack_bytes_present = 0;
  ThreadCapture t;
  BOOST_TEST(decode(record(c), t).ok());
  BOOST_TEST(t.stack.empty());
}

BOOST_AUTO_TEST_CASE(every_truncation_is_refused) {
  const auto full = record({});
  for (size_t n = 0; n < full.size(); ++n) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<long>(n));
    if (n >= sizeof(perf_event_header)) {
      // Consistent header, so only the body's lengths can catch it.
      perf_event_header h{PERF_RECORD_SAMPLE, 0, static_cast<uint16_t>(n)};
      std::memcpy(cut.data(), &h, sizeof(h));
    }
    ThreadCapture t;
    PerfSample s;
    auto r = decode_perf_sample(cut.empty() ? nullptr : cut.data(), cut.size(), s, t);
    BOOST_TEST_INFO("length " << n);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().code == "bad_record");
    BOOST_TEST(!t.have_registers);
  }
}

BOOST_AUTO_TEST_CASE(oversized_and_inconsistent_records_are_refused) {
  struct Case {
    const char* what;
    Crafted c;
  };
  std::vector<Case> cases;
  Crafted trailing;
  trailing.trailing = 8;
  cases.push_back({"bytes after dyn_size", trailing});
  Crafted big_size;
  big_size.stack_size = 4096;  // claims more stack than the record carries
  cases.push_back({"stack larger than the record", big_size});
  Crafted wrapping;
  wrapping.stack_size = ~uint64_t{0} - 7;  // size + anything wraps past 2^64
  cases.push_back({"stack size near 2^64", wrapping});
  Crafted huge;
  huge.stack_size = ~uint64_t{0};
  cases.push_back({"stack size 2^64 - 1", huge});
  Crafted dyn;
  dyn.dyn_size = 65;
  cases.push_back({"dyn_size above size", dyn});
  Crafted abi32;
  abi32.abi = PERF_SAMPLE_REGS_ABI_32;
  cases.push_back({"32-bit registers", abi32});
  Crafted mmap_record;
  mmap_record.type = PERF_RECORD_MMAP;
  cases.push_back({"not a sample", mmap_record});
  for (const auto& c : cases) {
    ThreadCapture t;
    auto r = decode(record(c.c), t);
    BOOST_TEST_INFO(c.what);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().code == "bad_record");
    BOOST_TEST(!t.have_registers);
  }
  // The header's size must be the record's: a shorter span than it claims is refused.
  auto b = record({});
  ThreadCapture t;
  PerfSample s;
  auto r = decode_perf_sample(b.data(), b.size() - 8, s, t);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code == "bad_record");
}

BOOST_AUTO_TEST_CASE(a_sample_without_user_registers_says_so) {
  Crafted c;
  c.abi = PERF_SAMPLE_REGS_ABI_NONE;
  ThreadCapture t;
  auto r = decode(record(c), t);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code == "no_registers");
  BOOST_TEST(!t.have_registers);
}
