#include "worker/unwind/elf_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <utility>

namespace dbg::worker {

ElfCache::ElfCache() { elf_version(EV_CURRENT); }

ElfCache::Current& ElfCache::current() {
  static Current c;
  return c;
}

Elf* ElfCache::acquire(pid_t pid, const std::string& path, std::string* opened_path) {
  // /proc/PID/root/PATH is the file the target really maps, also inside another mount namespace.
  std::string candidates[] = {"/proc/" + std::to_string(pid) + "/root" + path, path};
  for (const auto& p : candidates) {
    UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) continue;
    struct stat st{};
    if (::fstat(fd.get(), &st) != 0) continue;
    Key key{st.st_dev, st.st_ino, st.st_size, static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
    if (auto it = entries_.find(key); it != entries_.end()) {
      ++hits_;
      if (opened_path) *opened_path = it->second.path;
      // Same descriptor, reference count + 1: libdw's elf_end on dwfl_end drops only its share.
      return elf_begin(it->second.fd.get(), ELF_C_READ_MMAP, it->second.elf.get());
    }
    UniqueElf elf(elf_begin(fd.get(), ELF_C_READ_MMAP, nullptr));
    if (!elf || elf_kind(elf.get()) != ELF_K_ELF) continue;
    ++misses_;
    if (entries_.size() >= kMaxEntries) entries_.clear();
    const int cached_fd = fd.get();
    Elf* cached = elf.get();
    entries_.emplace(key, Entry{std::move(fd), std::move(elf), p});
    if (opened_path) *opened_path = p;
    return elf_begin(cached_fd, ELF_C_READ_MMAP, cached);
  }
  return nullptr;
}

int ElfCache::find_elf(Dwfl_Module* mod, void** userdata, const char* modname, Dwarf_Addr base, char** file_name,
                       Elf** elfp) {
  Current& c = current();
  // Pseudo-files ([vdso]) live only in the target's memory: let libdw read them from there.
  if (c.cache && modname && modname[0] == '/') {
    std::string opened;
    if (Elf* elf = c.cache->acquire(c.pid, modname, &opened)) {
      *elfp = elf;
      *file_name = ::strdup(opened.c_str());
      return -1;  // no fd: libdw uses *elfp and owns one reference to it
    }
  }
  return dwfl_linux_proc_find_elf(mod, userdata, modname, base, file_name, elfp);
}

}  // namespace dbg::worker
