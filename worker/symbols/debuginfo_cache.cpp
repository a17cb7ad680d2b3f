#include "worker/symbols/debuginfo_cache.hpp"

#include <fcntl.h>

#include <utility>

namespace dbg::worker {

DebugInfoCache::Entry DebugInfoCache::open_separate(const std::string& build_id, pid_t pid) {
  if (build_id.size() < 4) return {};
  // The distribution's build-id tree (Debian: *-dbg / *-dbgsym packages), on the host first,
  // then inside the target's root (containers ship their own).
  std::string rel = "/usr/lib/debug/.build-id/" + build_id.substr(0, 2) + "/" + build_id.substr(2) + ".debug";
  for (const std::string& path : {rel, "/proc/" + std::to_string(pid) + "/root" + rel}) {
    Entry e;
    e.fd = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!e.fd.valid()) continue;
    e.elf.reset(elf_begin(e.fd.get(), ELF_C_READ_MMAP, nullptr));
    if (e.elf) e.dwarf.reset(dwarf_begin_elf(e.elf.get(), DWARF_C_READ, nullptr));
    if (e.dwarf) return e;
    // Otherwise e's destructor ends the Elf, then closes the file.
  }
  return {};
}

Dwarf* DebugInfoCache::get(Dwfl_Module* mod, const std::string& build_id, pid_t pid, protocol::SourceMode mode) {
  if (mode == protocol::SourceMode::kNone) return nullptr;
  const char* mod_path = nullptr;
  dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr, &mod_path, nullptr);
  std::string key = (build_id.empty() ? std::string("path:") + (mod_path ? mod_path : "?") : build_id) +
                    (mode == protocol::SourceMode::kAll ? "/all" : "/embedded");
  if (auto it = entries_.find(key); it != entries_.end()) return it->second.dwarf.get();

  Entry e;
  Dwarf_Addr bias = 0;
  if (Elf* module_elf = dwfl_module_getelf(mod, &bias)) {
    // Embedded DWARF (a binary built with -g). Take our own reference to the module's Elf:
    // the Dwfl that lent it may be gone before this cache entry is.
    e.elf.reset(elf_begin(-1, ELF_C_READ_MMAP, module_elf));
    if (e.elf) e.dwarf.reset(dwarf_begin_elf(e.elf.get(), DWARF_C_READ, nullptr));
    if (!e.dwarf) e.elf.reset();  // no DWARF in it: drop our reference, a miss holds nothing
  }
  if (!e.dwarf && mode == protocol::SourceMode::kAll) e = open_separate(build_id, pid);
  Dwarf* dwarf = e.dwarf.get();
  entries_.emplace(std::move(key), std::move(e));  // a miss is cached too: no retry on every pc
  return dwarf;
}

}  // namespace dbg::worker
