#include "worker/core/core_notes.hpp"

#include <elf.h>
#include <sys/procfs.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <string_view>

namespace dbg::worker::core {

namespace {

static_assert(std::endian::native == std::endian::little, "cores are parsed as x86-64 writes them");
static_assert(sizeof(Elf64_Ehdr) == kElfHeaderBytes);
static_assert(sizeof(Elf64_Phdr) == 56);
// glibc's <sys/procfs.h> mirrors the kernel's struct elf_prstatus for x86-64: pr_reg is a
// user_regs_struct at offset 112, pr_cursig a short at 12, pr_pid at 32.
static_assert(offsetof(struct elf_prstatus, pr_cursig) == 12);
static_assert(offsetof(struct elf_prstatus, pr_pid) == 32);
static_assert(offsetof(struct elf_prstatus, pr_reg) == 112);
static_assert(sizeof(elf_gregset_t) == sizeof(user_regs_struct));
static_assert(offsetof(struct elf_prpsinfo, pr_fname) == 40);
constexpr size_t kPrstatusRegsEnd = offsetof(struct elf_prstatus, pr_reg) + sizeof(user_regs_struct);
constexpr size_t kPrpsinfoFnameEnd = offsetof(struct elf_prpsinfo, pr_fname) + sizeof(((struct elf_prpsinfo*)nullptr)->pr_fname);
// The kernel's siginfo as NT_SIGINFO holds it: si_signo, si_errno, si_code, then the union,
// whose first member for fault signals is si_addr (at 16 on 64-bit).
constexpr size_t kSiginfoAddrEnd = 24;

// Reads a T at `offset`; the caller has checked that offset + sizeof(T) <= bytes.size().
template <typename T>
T load(std::span<const uint8_t> bytes, size_t offset) {
  T v;
  std::memcpy(&v, bytes.data() + offset, sizeof v);
  return v;
}

// a + b, or false when it overflows.
bool add(uint64_t a, uint64_t b, uint64_t& out) { return !__builtin_add_overflow(a, b, &out); }

uint64_t align_up(uint64_t v, uint64_t align) { return (v + align - 1) / align * align; }  // v < 2^32: no overflow

Error not_a_core(const std::string& why) { return Error{"not_a_core", why}; }

std::string c_string(std::span<const uint8_t> bytes) {
  auto nul = std::find(bytes.begin(), bytes.end(), uint8_t{0});
  return std::string(bytes.begin(), nul);
}

// NT_FILE: count, page size, count × {start, end, file offset in pages}, then count
// NUL-terminated names. Returns false when it does not fit its descriptor.
bool parse_file_note(std::span<const uint8_t> desc, std::vector<CoreFileMapping>& out) {
  if (desc.size() < 16) return false;
  const uint64_t count = load<uint64_t>(desc, 0), page = load<uint64_t>(desc, 8);
  if (count > (desc.size() - 16) / 24 || count > kMaxFileMappings) return false;
  size_t names = 16 + static_cast<size_t>(count) * 24;
  std::vector<CoreFileMapping> files;  // into `out` only when the whole note is well formed
  files.reserve(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) {
    CoreFileMapping m;
    const size_t at = 16 + static_cast<size_t>(i) * 24;
    m.start = load<uint64_t>(desc, at);
    m.end = load<uint64_t>(desc, at + 8);
    if (__builtin_mul_overflow(load<uint64_t>(desc, at + 16), page, &m.file_offset)) return false;
    if (names >= desc.size()) return false;  // fewer names than entries
    auto rest = desc.subspan(names);
    auto nul = std::find(rest.begin(), rest.end(), uint8_t{0});
    if (nul == rest.end()) return false;  // an unterminated last name
    m.path.assign(rest.begin(), nul);
    names += m.path.size() + 1;
    files.push_back(std::move(m));
  }
  out = std::move(files);
  return true;
}

void take_note(std::string_view name, uint32_t type, std::span<const uint8_t> desc, CoreNotes& notes) {
  ++notes.notes_seen;
  if (name != "CORE") return;  // "LINUX" holds the extended register sets; we need none of them
  switch (type) {
    case NT_PRSTATUS: {
      if (desc.size() < kPrstatusRegsEnd) break;
      CoreThreadNote t;
      t.cursig = load<int16_t>(desc, offsetof(struct elf_prstatus, pr_cursig));
      t.tid = load<int32_t>(desc, offsetof(struct elf_prstatus, pr_pid));
      std::memcpy(&t.regs, desc.data() + offsetof(struct elf_prstatus, pr_reg), sizeof t.regs);
      notes.threads.push_back(t);
      return;
    }
    case NT_PRPSINFO:
      if (desc.size() < kPrpsinfoFnameEnd) break;
      if (!notes.fname) notes.fname = c_string(desc.subspan(offsetof(struct elf_prpsinfo, pr_fname), 16));
      return;
    case NT_SIGINFO:
      if (desc.size() < kSiginfoAddrEnd) break;
      if (!notes.siginfo) {
        notes.siginfo = CoreSigInfo{load<int32_t>(desc, 0), load<int32_t>(desc, 8), load<int32_t>(desc, 4),
                                    load<uint64_t>(desc, 16)};
      }
      return;
    case NT_FILE:
      if (!parse_file_note(desc, notes.files)) break;
      return;
    default:
      return;
  }
  ++notes.notes_malformed;
}

// Walks one PT_NOTE segment: {namesz, descsz, type}, the name and the descriptor, each padded
// to the segment's alignment (4 for the kernel's cores). The last descriptor's padding may be
// missing at the end of the segment.
void walk_notes(std::span<const uint8_t> segment, uint64_t align, CoreNotes& notes) {
  size_t pos = 0;
  while (segment.size() - pos >= 12) {
    const uint32_t namesz = load<uint32_t>(segment, pos), descsz = load<uint32_t>(segment, pos + 4);
    const uint32_t type = load<uint32_t>(segment, pos + 8);
    pos += 12;
    const uint64_t name_padded = align_up(namesz, align);
    if (name_padded > segment.size() - pos) {
      ++notes.notes_malformed;
      return;
    }
    auto name = segment.subspan(pos, namesz);
    std::string_view name_text(reinterpret_cast<const char*>(name.data()), name.size());
    if (!name_text.empty() && name_text.back() == '\0') name_text.remove_suffix(1);
    pos += static_cast<size_t>(name_padded);
    if (descsz > segment.size() - pos) {
      ++notes.notes_malformed;
      return;
    }
    take_note(name_text, type, segment.subspan(pos, descsz), notes);
    pos += static_cast<size_t>(std::min<uint64_t>(align_up(descsz, align), segment.size() - pos));
  }
}

}  // namespace

Result<CoreLayout> parse_core_layout(std::span<const uint8_t> head) {
  if (head.size() < kElfHeaderBytes) return Error{"truncated", "the core ends inside its ELF header"};
  const auto ehdr = load<Elf64_Ehdr>(head, 0);
  if (std::memcmp(ehdr.e_ident, ELFMAG, SELFMAG) != 0) return not_a_core("no ELF magic");
  if (ehdr.e_ident[EI_CLASS] != ELFCLASS64 || ehdr.e_ident[EI_DATA] != ELFDATA2LSB)
    return not_a_core("not a little-endian 64-bit ELF file");
  if (ehdr.e_type != ET_CORE) return not_a_core("ELF type " + std::to_string(ehdr.e_type) + ", not ET_CORE");
  if (ehdr.e_machine != EM_X86_64) return not_a_core("machine " + std::to_string(ehdr.e_machine) + ", not x86-64");
  if (ehdr.e_phentsize != sizeof(Elf64_Phdr)) return not_a_core("program header size " + std::to_string(ehdr.e_phentsize));
  if (ehdr.e_phnum == 0) return not_a_core("no program headers");
  // PN_XNUM: more than 65534 segments, the real count in a section header at the end of the
  // core, after all of the memory. Not something to stream to.
  if (ehdr.e_phnum == PN_XNUM) return Error{"too_large", "extended program header numbering (PN_XNUM)"};
  if (ehdr.e_phoff < kElfHeaderBytes) return not_a_core("program headers overlap the ELF header");

  CoreLayout layout;
  uint64_t phdrs_end = 0;
  if (!add(ehdr.e_phoff, uint64_t{ehdr.e_phnum} * sizeof(Elf64_Phdr), phdrs_end) || phdrs_end > kMaxCoreHeadBytes)
    return Error{"too_large", "the program headers end beyond " + std::to_string(kMaxCoreHeadBytes) + " bytes"};
  layout.program_headers_end = static_cast<size_t>(phdrs_end);
  layout.head_bytes = layout.program_headers_end;
  if (head.size() < layout.program_headers_end) return layout;

  uint64_t head_end = phdrs_end;
  for (uint16_t i = 0; i < ehdr.e_phnum; ++i) {
    const auto phdr = load<Elf64_Phdr>(head, static_cast<size_t>(ehdr.e_phoff) + i * sizeof(Elf64_Phdr));
    uint64_t end = 0;
    if (!add(phdr.p_offset, phdr.p_filesz, end)) return not_a_core("segment " + std::to_string(i) + " ends beyond 2^64");
    layout.core_bytes = std::max(layout.core_bytes, end);
    if (phdr.p_type != PT_NOTE || phdr.p_filesz == 0) continue;
    if (end > kMaxCoreHeadBytes)
      return Error{"too_large", "a note segment ends beyond " + std::to_string(kMaxCoreHeadBytes) + " bytes"};
    layout.notes.push_back({phdr.p_offset, phdr.p_filesz, phdr.p_align == 8 ? uint64_t{8} : uint64_t{4}});
    head_end = std::max(head_end, end);
  }
  layout.head_bytes = static_cast<size_t>(head_end);
  layout.notes_known = true;
  return layout;
}

Result<CoreNotes> parse_core_notes(std::span<const uint8_t> head) {
  auto layout = parse_core_layout(head);
  if (!layout) return layout.error();
  if (!layout->notes_known || head.size() < layout->head_bytes)
    return Error{"truncated", "the core ends before its notes do (" + std::to_string(head.size()) + " of " +
                                  std::to_string(layout->head_bytes) + " bytes)"};
  CoreNotes notes;
  notes.layout = std::move(layout.value());
  for (const auto& segment : notes.layout.notes) {
    walk_notes(head.subspan(static_cast<size_t>(segment.offset), static_cast<size_t>(segment.size)), segment.align, notes);
  }
  return notes;
}

}  // namespace dbg::worker::core
