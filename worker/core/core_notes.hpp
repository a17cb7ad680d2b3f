#pragma once
// The start of an ELF core as the kernel writes it (fs/binfmt_elf.c, elf_core_dump): the ELF
// header, the program headers, then the PT_NOTE segment (per thread NT_PRSTATUS and its
// register sets, once NT_PRPSINFO, NT_SIGINFO, NT_AUXV, NT_FILE), then the PT_LOAD memory.
// The handler keeps only what comes before the memory; this parses it.
//
// Pure functions over bytes, so that the libFuzzer target (fuzz/core_notes_target.cpp) and the
// unit tests call exactly what the handler calls. The bytes are untrusted: the core describes a
// process that may be hostile, and a handler started by hand reads whatever is on its stdin.
// Every offset and length is checked against the input before it is used; nothing is read
// outside the span.
#include <sys/types.h>
#include <sys/user.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dbg/error.hpp"

namespace dbg::worker::core {

// The ELF header, program headers and notes together are held up to this many bytes; a core
// whose notes end later is refused ("too_large") rather than held.
inline constexpr size_t kMaxCoreHeadBytes = size_t{16} << 20;
inline constexpr size_t kElfHeaderBytes = 64;  // sizeof(Elf64_Ehdr)

// Where the parts of the head are. `head_bytes` is how much of the core's start the notes need
// (the end of the program headers, or of the last PT_NOTE segment when the program headers were
// in the input); `notes_known` says which of the two it is.
struct CoreLayout {
  size_t program_headers_end = 0;
  size_t head_bytes = 0;
  bool notes_known = false;
  struct Segment {
    uint64_t offset = 0, size = 0, align = 4;
  };
  std::vector<Segment> notes;  // PT_NOTE segments, in program-header order
  uint64_t core_bytes = 0;     // end of the furthest segment: the size of the whole core
};

// From the ELF header alone (head.size() >= 64) it gives program_headers_end; with the program
// headers too, the note segments and head_bytes. Errors: "not_a_core" (not a little-endian
// 64-bit x86-64 ET_CORE, or malformed headers), "truncated" (shorter than the ELF header),
// "too_large" (the head would exceed kMaxCoreHeadBytes).
Result<CoreLayout> parse_core_layout(std::span<const uint8_t> head);

struct CoreThreadNote {
  pid_t tid = 0;   // pr_pid: the thread id in the crasher's pid namespace
  int cursig = 0;  // pr_cursig: the signal the thread was handling (the dumping thread's is the crash)
  user_regs_struct regs{};
};

struct CoreSigInfo {
  int signo = 0, code = 0, error = 0;
  uint64_t address = 0;  // si_addr: meaningful for fault codes only (code_has_fault_address)
};

struct CoreFileMapping {
  uint64_t start = 0, end = 0, file_offset = 0;  // file_offset in bytes
  std::string path;
};

struct CoreNotes {
  CoreLayout layout;
  std::vector<CoreThreadNote> threads;  // in the core's order: the kernel writes the dumping thread first
  std::optional<CoreSigInfo> siginfo;   // NT_SIGINFO: the dumping thread's signal
  std::optional<std::string> fname;     // NT_PRPSINFO pr_fname (the 15-byte comm)
  std::vector<CoreFileMapping> files;   // NT_FILE, at most kMaxFileMappings
  size_t notes_seen = 0;                // every note, of any type
  size_t notes_malformed = 0;           // notes of a known type with the wrong size (skipped)
};

inline constexpr size_t kMaxFileMappings = 65536;

// The notes of a core's head: `head` must hold head_bytes of its layout (else "truncated").
// A note whose name or descriptor overruns its segment ends the walk of that segment and counts
// as malformed; notes of other types are skipped. No thread in the result means the core cannot
// be analysed (the caller decides what that costs).
Result<CoreNotes> parse_core_notes(std::span<const uint8_t> head);

}  // namespace dbg::worker::core
