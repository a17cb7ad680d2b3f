#pragma once
// Symbolizer: turns a pc into one or more frames (inlined calls first, then the real frame):
// demangled function, module and ELF offset, source file and line, from the symbol table and
// DWARF of the module. Results are cached by (module build-id, ELF offset), so the second
// snapshot of any process running the same binary symbolizes from the cache.
#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>
#include <vector>

#include <elfutils/libdwfl.h>

#include "dbg/protocol.hpp"
#include "dbg/snapshot.hpp"
#include "worker/symbols/debuginfo_cache.hpp"

namespace dbg::worker {

class Symbolizer {
 public:
  explicit Symbolizer(size_t max_entries = 200'000) : max_entries_(max_entries) {}

  // Appends the frames for pc to `out`. `activation` is false for return addresses, which are
  // looked up at pc - 1 (the call instruction) so that a call at the end of a function
  // resolves to that function.
  void symbolize(Dwfl* dwfl, pid_t pid, uint64_t pc, bool activation, protocol::SourceMode source,
                 std::vector<Frame>& out, CacheStats& stats);

  size_t size() const { return entries_.size(); }

 private:
  struct Resolved {
    std::vector<Frame> frames;  // pc left 0; filled per use
  };
  Resolved resolve(Dwfl_Module* mod, uint64_t lookup_pc, uint64_t elf_address, Dwarf* dwarf);

  size_t max_entries_;
  DebugInfoCache debuginfo_;
  // LRU: most recent at the front.
  std::list<std::pair<std::string, Resolved>> lru_;
  std::unordered_map<std::string, std::list<std::pair<std::string, Resolved>>::iterator> entries_;
};

// The module's GNU build-id in hex, or "" when it has none.
std::string module_build_id(Dwfl_Module* mod);

// abi::__cxa_demangle, or the name itself when it is not a mangled C++ name.
std::string demangle(const char* name);

}  // namespace dbg::worker
