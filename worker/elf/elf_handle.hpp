#pragma once
// Owning handles for libelf and libdw descriptors, shared by unwind/ (ElfCache) and symbols/
// (DebugInfoCache), so neither ends a handle by hand.
//   UniqueElf:   elf_end on destruction. libelf counts references to a descriptor handed out
//                with elf_begin(fd, cmd, ref): each owner ends its own.
//   UniqueDwarf: dwarf_end on destruction. A Dwarf made by dwarf_begin_elf borrows its Elf
//                (and that Elf its fd): end the Dwarf first, then the Elf, then close the fd.
#include <elfutils/libdw.h>
#include <libelf.h>

#include <memory>

namespace dbg::worker {

struct ElfEnd {
  void operator()(Elf* elf) const { elf_end(elf); }
};
using UniqueElf = std::unique_ptr<Elf, ElfEnd>;

struct DwarfEnd {
  void operator()(Dwarf* dwarf) const { dwarf_end(dwarf); }
};
using UniqueDwarf = std::unique_ptr<Dwarf, DwarfEnd>;

}  // namespace dbg::worker
