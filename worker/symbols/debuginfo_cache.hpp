#pragma once
// DebugInfoCache: one parsed DWARF (`Dwarf*`) per module build-id for the whole worker.
// libdw's own Dwfl opens a module's debug info anew for every process (every Dwfl), and for
// separate debug files (/usr/lib/debug/.build-id/…, compressed sections) that costs ~100 ms
// of decompression each time. Here it is paid once per build-id per worker.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <unordered_map>

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include "dbg/protocol.hpp"
#include "dbg/unique_fd.hpp"
#include "worker/elf/elf_handle.hpp"

namespace dbg::worker {

class DebugInfoCache {
 public:
  DebugInfoCache() = default;
  DebugInfoCache(const DebugInfoCache&) = delete;
  DebugInfoCache& operator=(const DebugInfoCache&) = delete;

  // DWARF for the module, or null when it has none (in the allowed places). `build_id` is the
  // module's build-id in hex ("" when it has none: then only embedded DWARF is looked at).
  Dwarf* get(Dwfl_Module* mod, const std::string& build_id, pid_t pid, protocol::SourceMode mode);

 private:
  // Members are destroyed in reverse: the Dwarf ends before the Elf it reads, the Elf before
  // its file closes. A miss is an entry with no dwarf (and nothing else held).
  struct Entry {
    UniqueFd fd;      // the separate debug file; none for embedded DWARF
    UniqueElf elf;    // our own reference, kept alive as long as dwarf
    UniqueDwarf dwarf;
  };
  Entry open_separate(const std::string& build_id, pid_t pid);
  // Key: build-id (or module path) + which sources were allowed.
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace dbg::worker
