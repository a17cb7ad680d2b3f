#pragma once
// ElfCache: ELF files opened once per worker, shared by every process that maps them.
// libdw opens each module's ELF per Dwfl (per process); our find_elf callback hands out
// references to one cached `Elf*` instead (libelf reference-counts descriptors created with
// elf_begin(fd, cmd, ref)), so a second process running the same binary skips the open, the
// mmap and the section parsing. Files are identified by (device, inode, size, mtime) of the
// file the target maps, opened through /proc/PID/root so that containers resolve their own files.
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include <elfutils/libdwfl.h>

#include "dbg/unique_fd.hpp"
#include "worker/elf/elf_handle.hpp"

namespace dbg::worker {

class ElfCache {
 public:
  ElfCache();
  ElfCache(const ElfCache&) = delete;
  ElfCache& operator=(const ElfCache&) = delete;

  // A new reference to the ELF of `path` as seen by `pid` (caller owns it: elf_end), or null.
  Elf* acquire(pid_t pid, const std::string& path, std::string* opened_path);

  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }
  size_t size() const { return entries_.size(); }

  // The libdw find_elf callback. It reaches the cache and the pid through `current()`, set by
  // the unwinder around module reporting (the worker unwinds on one thread).
  static int find_elf(Dwfl_Module* mod, void** userdata, const char* modname, Dwarf_Addr base, char** file_name,
                      Elf** elfp);
  struct Current {
    ElfCache* cache = nullptr;
    pid_t pid = 0;
  };
  static Current& current();

 private:
  using Key = std::tuple<dev_t, ino_t, off_t, int64_t>;
  // fd first: members are destroyed in reverse, so the Elf ends before its file closes.
  struct Entry {
    UniqueFd fd;
    UniqueElf elf;
    std::string path;
  };
  std::map<Key, Entry> entries_;
  uint64_t hits_ = 0, misses_ = 0;
  static constexpr size_t kMaxEntries = 512;  // bounded: evict everything beyond (rare)
};

}  // namespace dbg::worker
