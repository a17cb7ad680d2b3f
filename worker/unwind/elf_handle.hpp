#pragma once
// UniqueElf: owns one libelf descriptor (elf_end on destruction). libelf counts references to
// a descriptor handed out with elf_begin(fd, cmd, ref): each owner ends its own.
#include <libelf.h>

#include <memory>

namespace dbg::worker {

struct ElfEnd {
  void operator()(Elf* elf) const { elf_end(elf); }
};
using UniqueElf = std::unique_ptr<Elf, ElfEnd>;

}  // namespace dbg::worker
