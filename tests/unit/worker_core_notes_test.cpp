// The crash handler's core parser (worker/core/core_notes, core_head) on a real core's head
// (fuzz/corpus/core_notes/real_crasher_O0_null: crasher_O0 null, dumped by this kernel) and on
// cores built here to be truncated, oversized, of the wrong type or with lying lengths.
#define BOOST_TEST_MODULE worker_core_notes
#include <boost/test/unit_test.hpp>

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "worker/core/core_head.hpp"
#include "worker/core/core_notes.hpp"

using namespace dbg::worker::core;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes real_head() {
  std::ifstream in(std::string(DBG_SOURCE_DIR) + "/fuzz/corpus/core_notes/real_crasher_O0_null", std::ios::binary);
  Bytes b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  BOOST_REQUIRE(b.size() > 1000);
  return b;
}

template <typename T>
void put(Bytes& b, size_t at, T v) {
  if (b.size() < at + sizeof v) b.resize(at + sizeof v);
  std::memcpy(b.data() + at, &v, sizeof v);
}

Bytes note(const std::string& name, uint32_t type, const Bytes& desc) {
  Bytes b;
  put<uint32_t>(b, 0, static_cast<uint32_t>(name.size() + 1));
  put<uint32_t>(b, 4, static_cast<uint32_t>(desc.size()));
  put<uint32_t>(b, 8, type);
  b.insert(b.end(), name.begin(), name.end());
  b.push_back(0);
  while (b.size() % 4) b.push_back(0);
  b.insert(b.end(), desc.begin(), desc.end());
  while (b.size() % 4) b.push_back(0);
  return b;
}

Bytes prstatus(int32_t tid, uint64_t rip, uint64_t rsp, size_t size = 336) {
  Bytes d(size);
  put<int16_t>(d, 12, 11);
  put<int32_t>(d, 32, tid);
  user_regs_struct regs{};
  regs.rip = rip;
  regs.rsp = rsp;
  if (size >= 112 + sizeof regs) std::memcpy(d.data() + 112, &regs, sizeof regs);
  d.resize(size);
  return d;
}

Bytes siginfo(int signo, int code, uint64_t addr) {
  Bytes d(128);
  put<int32_t>(d, 0, signo);
  put<int32_t>(d, 8, code);
  put<uint64_t>(d, 16, addr);
  return d;
}

// An ET_CORE with one PT_NOTE holding `notes` right after the program headers, and one PT_LOAD.
struct CoreSpec {
  uint16_t type = ET_CORE;
  uint16_t machine = EM_X86_64;
  uint8_t elf_class = ELFCLASS64;
  uint16_t phnum = 2;
  uint64_t phoff = 64;
  std::optional<uint64_t> note_offset;  // default: after the program headers
};

Bytes core(const Bytes& notes, const CoreSpec& spec = {}) {
  Bytes b(64);
  std::memcpy(b.data(), ELFMAG, SELFMAG);
  b[EI_CLASS] = spec.elf_class;
  b[EI_DATA] = ELFDATA2LSB;
  b[EI_VERSION] = EV_CURRENT;
  put<uint16_t>(b, 16, spec.type);
  put<uint16_t>(b, 18, spec.machine);
  put<uint32_t>(b, 20, EV_CURRENT);
  put<uint64_t>(b, 32, spec.phoff);
  put<uint16_t>(b, 52, 64);
  put<uint16_t>(b, 54, 56);
  put<uint16_t>(b, 56, spec.phnum);
  const uint64_t phdrs_end = spec.phoff + uint64_t{2} * 56;
  const uint64_t note_offset = spec.note_offset.value_or(phdrs_end);
  if (spec.phoff >= 64 && spec.phoff < (uint64_t{1} << 20)) {
    const size_t p = static_cast<size_t>(spec.phoff);
    put<uint32_t>(b, p, PT_NOTE);
    put<uint64_t>(b, p + 8, note_offset);
    put<uint64_t>(b, p + 32, notes.size());
    put<uint64_t>(b, p + 48, 4);
    put<uint32_t>(b, p + 56, PT_LOAD);
    put<uint64_t>(b, p + 56 + 8, 0x10000);
    put<uint64_t>(b, p + 56 + 32, 0x1000);
    b.resize(std::max<size_t>(b.size(), static_cast<size_t>(phdrs_end)));
    if (note_offset < (uint64_t{1} << 20)) {
      b.resize(static_cast<size_t>(note_offset));
      b.insert(b.end(), notes.begin(), notes.end());
    }
  }
  return b;
}

Bytes two_thread_notes() {
  Bytes n = note("CORE", NT_PRSTATUS, prstatus(100, 0x401000, 0x7ffc0000));
  auto append = [&](const Bytes& more) { n.insert(n.end(), more.begin(), more.end()); };
  append(note("CORE", NT_SIGINFO, siginfo(11, 1, 8)));
  append(note("CORE", NT_PRSTATUS, prstatus(101, 0x401010, 0x7ffb0000)));
  return n;
}

std::span<const uint8_t> span(const Bytes& b) { return std::span<const uint8_t>(b); }

}  // namespace

BOOST_AUTO_TEST_CASE(a_real_core_head_gives_every_thread_the_signal_and_the_mappings) {
  const Bytes head = real_head();
  auto notes = parse_core_notes(span(head));
  BOOST_REQUIRE_MESSAGE(notes.ok(), (notes.ok() ? std::string() : notes.error().message));
  BOOST_TEST(notes->layout.head_bytes == head.size());
  BOOST_TEST(notes->layout.notes.size() == 1u);
  BOOST_TEST(notes->layout.core_bytes == 17235968u);  // the size of the core file it came from
  // crasher: main + two idle threads; the dumping (crashing) thread first.
  BOOST_REQUIRE(notes->threads.size() == 3u);
  BOOST_TEST(notes->threads[0].cursig == 11);
  for (const auto& t : notes->threads) {
    BOOST_TEST(t.tid > 0);
    BOOST_TEST(t.regs.rip != 0u);
    BOOST_TEST(t.regs.rsp != 0u);
  }
  BOOST_REQUIRE(notes->siginfo);
  BOOST_TEST(notes->siginfo->signo == 11);
  BOOST_TEST(notes->siginfo->code == 1);  // SEGV_MAPERR
  BOOST_TEST(notes->siginfo->address == 8u);
  BOOST_TEST(notes->fname.value_or("") == "crasher_O0");
  BOOST_REQUIRE(!notes->files.empty());
  BOOST_TEST(notes->files[0].path.find("crasher_O0") != std::string::npos);
  BOOST_TEST(notes->files[0].start < notes->files[0].end);
  BOOST_TEST(notes->notes_malformed == 0u);
}

BOOST_AUTO_TEST_CASE(every_truncation_of_a_real_head_is_refused_as_truncated) {
  const Bytes head = real_head();
  auto layout = parse_core_layout(span(head));
  BOOST_REQUIRE(layout.ok());
  const size_t cuts[] = {0, 1, 63, 64, 65, layout->program_headers_end - 1, layout->program_headers_end,
                         layout->program_headers_end + 1, head.size() / 2, head.size() - 1};
  for (size_t cut : cuts) {
    auto notes = parse_core_notes(span(head).first(cut));
    BOOST_TEST_INFO("cut at " << cut);
    BOOST_REQUIRE(!notes.ok());
    BOOST_TEST(notes.error().code == "truncated");
  }
  // With only the program headers, the layout already knows how far the notes go.
  auto partial = parse_core_layout(span(head).first(layout->program_headers_end));
  BOOST_REQUIRE(partial.ok());
  BOOST_TEST(partial->notes_known);
  BOOST_TEST(partial->head_bytes == head.size());
  auto header_only = parse_core_layout(span(head).first(64));
  BOOST_REQUIRE(header_only.ok());
  BOOST_TEST(!header_only->notes_known);
  BOOST_TEST(header_only->head_bytes == layout->program_headers_end);
}

BOOST_AUTO_TEST_CASE(a_built_core_parses_and_ignores_bytes_after_its_notes) {
  Bytes c = core(two_thread_notes());
  const size_t head_size = c.size();
  c.resize(c.size() + 4096, 0xab);  // the memory that follows: never looked at
  auto notes = parse_core_notes(span(c));
  BOOST_REQUIRE(notes.ok());
  BOOST_TEST(notes->layout.head_bytes == head_size);
  BOOST_REQUIRE(notes->threads.size() == 2u);
  BOOST_TEST(notes->threads[0].tid == 100);
  BOOST_TEST(notes->threads[1].tid == 101);
  BOOST_TEST(notes->threads[1].regs.rip == 0x401010u);
  BOOST_TEST(notes->siginfo->address == 8u);
  BOOST_TEST(!notes->fname);
}

BOOST_AUTO_TEST_CASE(a_head_beyond_16_mib_is_refused_as_too_large) {
  CoreSpec far_phdrs;
  far_phdrs.phoff = uint64_t{17} << 20;
  auto a = parse_core_layout(span(core({}, far_phdrs)));
  BOOST_REQUIRE(!a.ok());
  BOOST_TEST(a.error().code == "too_large");

  CoreSpec wrapping;
  wrapping.phoff = ~uint64_t{0} - 8;  // phoff + phnum * 56 wraps past 2^64
  auto w = parse_core_layout(span(core({}, wrapping)));
  BOOST_REQUIRE(!w.ok());
  BOOST_TEST(w.error().code == "too_large");

  CoreSpec far_notes;
  far_notes.note_offset = uint64_t{20} << 20;
  auto n = parse_core_layout(span(core(two_thread_notes(), far_notes)));
  BOOST_REQUIRE(!n.ok());
  BOOST_TEST(n.error().code == "too_large");

  CoreSpec xnum;
  xnum.phnum = PN_XNUM;
  auto x = parse_core_layout(span(core({}, xnum)));
  BOOST_REQUIRE(!x.ok());
  BOOST_TEST(x.error().code == "too_large");
}

BOOST_AUTO_TEST_CASE(what_is_not_an_x86_64_core_is_refused_as_not_a_core) {
  CoreSpec exec;
  exec.type = ET_EXEC;
  CoreSpec arm;
  arm.machine = EM_AARCH64;
  CoreSpec elf32;
  elf32.elf_class = ELFCLASS32;
  CoreSpec no_phdrs;
  no_phdrs.phnum = 0;
  CoreSpec overlapping;
  overlapping.phoff = 8;
  for (const auto& spec : {exec, arm, elf32, no_phdrs, overlapping}) {
    auto r = parse_core_notes(span(core(two_thread_notes(), spec)));
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().code == "not_a_core");
  }
  Bytes text(200, 'x');
  auto r = parse_core_notes(span(text));
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code == "not_a_core");
}

BOOST_AUTO_TEST_CASE(notes_with_lying_lengths_or_wrong_sizes_are_skipped_not_read_past) {
  // A short NT_PRSTATUS (no room for the registers), one in the "LINUX" namespace (not a
  // thread), a good one, then a note whose descriptor claims 4 GiB.
  Bytes n = note("CORE", NT_PRSTATUS, prstatus(1, 1, 1, 200));
  auto append = [&](const Bytes& more) { n.insert(n.end(), more.begin(), more.end()); };
  append(note("LINUX", NT_PRSTATUS, prstatus(2, 2, 2)));
  append(note("CORE", NT_PRSTATUS, prstatus(3, 0x1234, 0x5678)));
  append(note("CORE", NT_SIGINFO, Bytes(10)));  // too short to hold si_addr
  Bytes liar = note("CORE", NT_PRSTATUS, prstatus(4, 4, 4));
  put<uint32_t>(liar, 4, 0xfffffff0u);
  append(liar);
  auto notes = parse_core_notes(span(core(n)));
  BOOST_REQUIRE(notes.ok());
  BOOST_REQUIRE(notes->threads.size() == 1u);
  BOOST_TEST(notes->threads[0].tid == 3);
  BOOST_TEST(notes->threads[0].regs.rip == 0x1234u);
  BOOST_TEST(!notes->siginfo);
  BOOST_TEST(notes->notes_malformed == 3u);  // short prstatus, short siginfo, the liar
  BOOST_TEST(notes->notes_seen == 4u);       // the liar's walk stopped before taking it

  // A name length past the segment end.
  Bytes bad_name = note("CORE", NT_PRSTATUS, prstatus(5, 5, 5));
  put<uint32_t>(bad_name, 0, 0x7fffffffu);
  auto b = parse_core_notes(span(core(bad_name)));
  BOOST_REQUIRE(b.ok());
  BOOST_TEST(b->threads.empty());
  BOOST_TEST(b->notes_malformed == 1u);
}

BOOST_AUTO_TEST_CASE(a_file_note_with_more_entries_than_names_is_dropped) {
  Bytes d;
  put<uint64_t>(d, 0, 2);  // two entries
  put<uint64_t>(d, 8, 4096);
  put<uint64_t>(d, 16, 0x1000);
  put<uint64_t>(d, 24, 0x2000);
  put<uint64_t>(d, 32, 1);
  put<uint64_t>(d, 40, 0x3000);
  put<uint64_t>(d, 48, 0x4000);
  put<uint64_t>(d, 56, 0);
  const std::string one = "/only/one/name";
  d.insert(d.end(), one.begin(), one.end());
  d.push_back(0);
  auto notes = parse_core_notes(span(core(note("CORE", NT_FILE, d))));
  BOOST_REQUIRE(notes.ok());
  BOOST_TEST(notes->files.empty());
  BOOST_TEST(notes->notes_malformed == 1u);

  // Page offsets that overflow when turned into bytes.
  Bytes o;
  put<uint64_t>(o, 0, 1);
  put<uint64_t>(o, 8, 4096);
  put<uint64_t>(o, 16, 0x1000);
  put<uint64_t>(o, 24, 0x2000);
  put<uint64_t>(o, 32, ~uint64_t{0} / 2);
  o.insert(o.end(), one.begin(), one.end());
  o.push_back(0);
  auto overflow = parse_core_notes(span(core(note("CORE", NT_FILE, o))));
  BOOST_REQUIRE(overflow.ok());
  BOOST_TEST(overflow->files.empty());
}

namespace {

// A pipe holding `bytes`, its write end closed: what the kernel's pipe looks like at the end.
int pipe_with(const Bytes& bytes) {
  int fds[2];
  BOOST_REQUIRE(::pipe(fds) == 0);
  BOOST_REQUIRE(::fcntl(fds[1], F_SETPIPE_SZ, 1 << 20) >= static_cast<int>(bytes.size()));
  BOOST_REQUIRE(::write(fds[1], bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  ::close(fds[1]);
  return fds[0];
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_stream_reader_stops_exactly_at_the_end_of_the_notes) {
  Bytes c = real_head();
  const size_t head_size = c.size();
  for (int i = 0; i < 5000; ++i) c.push_back(static_cast<uint8_t>(i));
  int fd = pipe_with(c);
  CoreHead head = read_core_head(fd);
  BOOST_REQUIRE(head.notes.ok());
  BOOST_TEST(head.prefix.size() == head_size);
  BOOST_TEST(std::equal(head.prefix.begin(), head.prefix.end(), c.begin()));
  BOOST_TEST(head.notes->threads.size() == 3u);
  // The rest is still in the pipe, for the chain.
  Bytes rest(10000);
  ssize_t n = ::read(fd, rest.data(), rest.size());
  BOOST_TEST(n == 5000);
  BOOST_TEST(rest[1] == 1);
  ::close(fd);
}

BOOST_AUTO_TEST_CASE(the_stream_reader_keeps_what_a_truncated_core_gave) {
  Bytes c = real_head();
  c.resize(c.size() - 100);
  int fd = pipe_with(c);
  CoreHead head = read_core_head(fd);
  ::close(fd);
  BOOST_REQUIRE(!head.notes.ok());
  BOOST_TEST(head.notes.error().code == "truncated");
  BOOST_TEST(head.prefix.size() == c.size());  // all of it, for the chain

  Bytes text(100, 'x');
  int text_fd = pipe_with(text);
  CoreHead not_core = read_core_head(text_fd);
  ::close(text_fd);
  BOOST_REQUIRE(!not_core.notes.ok());
  BOOST_TEST(not_core.notes.error().code == "not_a_core");
  BOOST_TEST(not_core.prefix.size() == 64u);  // read no further than the header it refused
}
