// Fuzz entry for the crash handler's core parser (worker/core/core_notes): the ELF header,
// program headers and notes of a core, as `dbg-worker core` reads them from the kernel's pipe.
// The bytes describe a crashed process that may be hostile, and a handler started by hand reads
// whatever it is given, so every length in them is a lie until checked.
#include <span>

#include "fuzz_targets.hpp"
#include "worker/core/core_notes.hpp"

namespace dbg::fuzz {

void core_notes_one_input(const uint8_t* data, size_t size) {
  using namespace dbg::worker::core;
  const std::span<const uint8_t> bytes(data, size);
  auto layout = parse_core_layout(bytes);
  if (layout) {
    // What the stream reader would be asked to hold is bounded, and never less than it has.
    check(layout->head_bytes <= kMaxCoreHeadBytes, "head_bytes beyond the bound");
    check(layout->program_headers_end >= kElfHeaderBytes, "program headers inside the ELF header");
    check(layout->head_bytes >= layout->program_headers_end, "head ends before the program headers");
  }
  auto notes = parse_core_notes(bytes);
  if (!notes) {
    const auto& code = notes.error().code;
    check(code == "truncated" || code == "not_a_core" || code == "too_large", "unexpected parse error code");
    return;
  }
  check(layout.ok() && layout->notes_known, "notes parsed without a complete layout");
  check(notes->layout.head_bytes <= size, "notes parsed from beyond the input");
  check(notes->files.size() <= kMaxFileMappings, "more file mappings than the bound");
  // Only the head is read: the same bytes cut at head_bytes give the same notes.
  auto cut = parse_core_notes(bytes.first(notes->layout.head_bytes));
  check(cut.ok(), "the head alone does not parse");
  check(cut->threads.size() == notes->threads.size() && cut->notes_seen == notes->notes_seen &&
            cut->siginfo.has_value() == notes->siginfo.has_value() && cut->fname == notes->fname,
        "the notes depend on bytes after the head");
}

}  // namespace dbg::fuzz
