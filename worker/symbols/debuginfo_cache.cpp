#include "worker/symbols/debuginfo_cache.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace dbg::worker {

DebugInfoCache::~DebugInfoCache() {
  for (auto& [key, e] : entries_) {
    if (e.dwarf) dwarf_end(e.dwarf);
    if (e.elf) elf_end(e.elf);
    if (e.fd >= 0) ::close(e.fd);
  }
}

DebugInfoCache::Entry DebugInfoCache::open_separate(const std::string& build_id, pid_t pid) {
  Entry e;
  if (build_id.size() < 4) return e;
  // The distribution's build-id tree (Debian: *-dbg / *-dbgsym packages), on the host first,
  // then inside the target's root (containers ship their own).
  std::string rel = "/usr/lib/debug/.build-id/" + build_id.substr(0, 2) + "/" + build_id.substr(2) + ".debug";
  for (const std::string& path : {rel, "/proc/" + std::to_string(pid) + "/root" + rel}) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
    Dwarf* dwarf = elf ? dwarf_begin_elf(elf, DWARF_C_READ, nullptr) : nullptr;
    if (dwarf) return Entry{elf, fd, dwarf};
    if (elf) elf_end(elf);
    ::close(fd);
  }
  return e;
}

Dwarf* DebugInfoCache::get(Dwfl_Module* mod, const std::string& build_id, pid_t pid, protocol::SourceMode mode) {
  if (mode == protocol::SourceMode::kNone) return nullptr;
  const char* mod_path = nullptr;
  dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr, &mod_path, nullptr);
  std::string key = (build_id.empty() ? std::string("path:") + (mod_path ? mod_path : "?") : build_id) +
                    (mode == protocol::SourceMode::kAll ? "/all" : "/embedded");
  if (auto it = entries_.find(key); it != entries_.end()) return it->second.dwarf;

  Entry e;
  Dwarf_Addr bias = 0;
  if (Elf* module_elf = dwfl_module_getelf(mod, &bias)) {
    // Embedded DWARF (a binary built with -g). Take our own reference to the module's Elf:
    // the Dwfl that lent it may be gone before this cache entry is.
    Elf* ref = elf_begin(-1, ELF_C_READ_MMAP, module_elf);
    if (ref) {
      if (Dwarf* dwarf = dwarf_begin_elf(ref, DWARF_C_READ, nullptr)) {
        e = Entry{ref, -1, dwarf};
      } else {
        elf_end(ref);
      }
    }
  }
  if (!e.dwarf && mode == protocol::SourceMode::kAll) e = open_separate(build_id, pid);
  entries_.emplace(key, e);  // a miss is cached too: no retry on every pc
  return e.dwarf;
}

}  // namespace dbg::worker
