#include "worker/symbols/symbolizer.hpp"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>

#include <cstdlib>
#include <cstring>
#include <memory>

namespace dbg::worker {

std::string demangle(const char* name) {
  if (!name) return {};
  if (name[0] == '_' && name[1] == 'Z') {
    int status = 0;
    std::unique_ptr<char, decltype(&std::free)> out(abi::__cxa_demangle(name, nullptr, nullptr, &status), &std::free);
    if (status == 0 && out) return out.get();
  }
  return name;
}

namespace {

std::string base_name(const char* path) {
  if (!path) return "?";
  const char* slash = std::strrchr(path, '/');
  return slash ? slash + 1 : path;
}

// Name of a subprogram or inlined-subroutine DIE, following abstract origins; the linkage name
// (mangled, fully qualified) is preferred so C++ names come out with namespaces and templates.
std::optional<std::string> die_function_name(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  for (int at : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name, DW_AT_name}) {
    if (dwarf_attr_integrate(die, at, &attr)) {
      if (const char* s = dwarf_formstring(&attr)) return demangle(s);
    }
  }
  return std::nullopt;
}

std::optional<std::string> call_site_file(Dwarf_Die* cudie, Dwarf_Die* inlined) {
  Dwarf_Attribute attr;
  Dwarf_Word index = 0;
  if (!dwarf_attr(inlined, DW_AT_call_file, &attr) || dwarf_formudata(&attr, &index) != 0) return std::nullopt;
  Dwarf_Files* files = nullptr;
  size_t nfiles = 0;
  if (dwarf_getsrcfiles(cudie, &files, &nfiles) != 0 || index >= nfiles) return std::nullopt;
  const char* name = dwarf_filesrc(files, index, nullptr, nullptr);
  return name ? std::optional<std::string>(name) : std::nullopt;
}

std::optional<int> call_site_line(Dwarf_Die* inlined) {
  Dwarf_Attribute attr;
  Dwarf_Word line = 0;
  if (!dwarf_attr(inlined, DW_AT_call_line, &attr) || dwarf_formudata(&attr, &line) != 0) return std::nullopt;
  return static_cast<int>(line);
}

}  // namespace

std::string module_build_id(Dwfl_Module* mod) {
  const unsigned char* bits = nullptr;
  GElf_Addr vaddr = 0;
  int len = dwfl_module_build_id(mod, &bits, &vaddr);
  if (len <= 0) return {};  // no build-id: callers fall back to the path
  static const char* digits = "0123456789abcdef";
  std::string key;
  key.reserve(static_cast<size_t>(len) * 2);
  for (int i = 0; i < len; ++i) {
    key += digits[bits[i] >> 4];
    key += digits[bits[i] & 15];
  }
  return key;
}

namespace {

// The compile unit covering addr: .debug_aranges first, then a scan of the units (clang and
// some toolchains emit no aranges).
bool find_cu(Dwarf* dwarf, Dwarf_Addr addr, Dwarf_Die* cudie) {
  if (dwarf_addrdie(dwarf, addr, cudie)) return true;
  Dwarf_Off off = 0, next = 0;
  size_t header = 0;
  while (dwarf_nextcu(dwarf, off, &next, &header, nullptr, nullptr, nullptr) == 0) {
    if (dwarf_offdie(dwarf, off + header, cudie) && dwarf_haspc(cudie, addr) > 0) return true;
    off = next;
  }
  return false;
}

}  // namespace

Symbolizer::Resolved Symbolizer::resolve(Dwfl_Module* mod, uint64_t lookup_pc, uint64_t elf_address, Dwarf* dwarf) {
  Resolved r;
  // The real (outermost) frame's name comes from the symbol table, as eu-stack and gdb show it.
  GElf_Off sym_off = 0;
  GElf_Sym sym;
  const char* sym_name = dwfl_module_addrinfo(mod, lookup_pc, &sym_off, &sym, nullptr, nullptr, nullptr);
  Frame outer;
  if (sym_name) outer.function = demangle(sym_name);

  Dwarf_Die cudie;
  if (dwarf && find_cu(dwarf, elf_address, &cudie)) {
    // Innermost source position from the line table.
    std::optional<std::string> file;
    std::optional<int> line;
    if (Dwarf_Line* l = dwarf_getsrc_die(&cudie, elf_address)) {
      int lineno = 0;
      if (const char* f = dwarf_linesrc(l, nullptr, nullptr)) file = f;
      if (dwarf_lineno(l, &lineno) == 0 && lineno > 0) line = lineno;
    }
    // Inlined calls: the scopes at the address, innermost first. Each inlined subroutine is a
    // frame; its caller's position is that scope's call_file:call_line.
    Dwarf_Die* scopes = nullptr;
    int n = dwarf_getscopes(&cudie, elf_address, &scopes);
    for (int i = 0; i < n; ++i) {
      int tag = dwarf_tag(&scopes[i]);
      if (tag == DW_TAG_inlined_subroutine) {
        Frame f;
        f.function = die_function_name(&scopes[i]);
        f.file = file;
        f.line = line;
        f.inlined = true;
        r.frames.push_back(std::move(f));
        file = call_site_file(&cudie, &scopes[i]);
        line = call_site_line(&scopes[i]);
      } else if (tag == DW_TAG_subprogram) {
        if (!outer.function) outer.function = die_function_name(&scopes[i]);
        break;
      }
    }
    std::free(scopes);
    outer.file = std::move(file);
    outer.line = line;
  }
  r.frames.push_back(std::move(outer));
  return r;
}

void Symbolizer::symbolize(Dwfl* dwfl, pid_t pid, uint64_t pc, bool activation, protocol::SourceMode source,
                           std::vector<Frame>& out, CacheStats& stats) {
  uint64_t lookup_pc = activation || pc == 0 ? pc : pc - 1;
  Dwfl_Module* mod = dwfl_addrmodule(dwfl, lookup_pc);
  if (!mod) {
    Frame f;
    f.pc = pc;
    f.module = "?";
    f.offset = pc;
    out.push_back(std::move(f));
    return;
  }
  const char* mod_path = nullptr;
  Dwarf_Addr start = 0;
  dwfl_module_info(mod, nullptr, &start, nullptr, nullptr, nullptr, &mod_path, nullptr);
  // Loads the ELF (through ElfCache) if this is the module's first use in this process.
  Dwarf_Addr bias = 0;
  if (!dwfl_module_getelf(mod, &bias)) bias = start;
  std::string module_name = base_name(mod_path);
  std::string build_id = module_build_id(mod);

  std::string key = (build_id.empty() ? std::string("path:") + (mod_path ? mod_path : "?") : build_id) + "@" +
                    std::to_string(lookup_pc - bias) + "/" + protocol::to_string(source);
  const Resolved* resolved = nullptr;
  if (auto it = entries_.find(key); it != entries_.end()) {
    ++stats.symbol_hits;
    lru_.splice(lru_.begin(), lru_, it->second);
    resolved = &it->second->second;
  } else {
    ++stats.symbol_misses;
    Dwarf* dwarf = debuginfo_.get(mod, build_id, pid, source);
    lru_.emplace_front(key, resolve(mod, lookup_pc, lookup_pc - bias, dwarf));
    entries_[key] = lru_.begin();
    resolved = &lru_.front().second;
    if (entries_.size() > max_entries_) {
      entries_.erase(lru_.back().first);
      lru_.pop_back();
    }
  }
  for (Frame f : resolved->frames) {
    f.pc = pc;
    f.offset = pc - bias;
    f.module = module_name;  // the same build-id may be mapped under another file name
    out.push_back(std::move(f));
  }
}

}  // namespace dbg::worker
