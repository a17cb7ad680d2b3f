#include "worker/watch/watch_messages.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <unordered_set>


namespace dbg::worker {

namespace {

constexpr uint64_t kGnuCxxClass = 0x474E5543432B2B00ULL;          // "GNUCC++\0"
constexpr uint64_t kTypeInfoBeforeClass = 80;
constexpr uint64_t kObjectAfterClass = 32;
// Candidates looked at: registers, then the stack copy word by word; the header is within the
// frames of std::terminate, __cxa_throw and abort, near the top of the stack.
constexpr size_t kMaxStackWords = 4096;

struct FindLibc {
  Dwfl_Module* libc = nullptr;
};

int find_libc(Dwfl_Module* mod, void**, const char* name, Dwarf_Addr, void* arg) {
  if (!name) return DWARF_CB_OK;
  const char* base = std::strrchr(name, '/');
  base = base ? base + 1 : name;
  if (std::strncmp(base, "libc.so", 7) == 0 || std::strncmp(base, "libc-", 5) == 0) {
    static_cast<FindLibc*>(arg)->libc = mod;
    return DWARF_CB_ABORT;
  }
  return DWARF_CB_OK;
}

bool is_symbol(const char* name, const char* wanted) {
  size_t n = std::strlen(wanted);
  return std::strncmp(name, wanted, n) == 0 && (name[n] == '\0' || name[n] == '@');
}

// libstdc++'s own exception classes whose what() text sits in a string pointed to by the word
// after the vptr (__cow_string in GCC 12's ABI for these types).
bool stores_message_after_vptr(const std::string& mangled) {
  static const char* kTypes[] = {"St13runtime_error", "St11logic_error",   "St16invalid_argument",
                                 "St12out_of_range",  "St12length_error",  "St12domain_error",
                                 "St14overflow_error", "St15underflow_error", "St11range_error"};
  for (const char* t : kTypes) {
    if (mangled == t) return true;
  }
  return false;
}

}  // namespace

std::optional<std::string> read_abort_message(Dwfl* dwfl, pid_t pid, size_t max_len) {
  FindLibc found;
  dwfl_getmodules(dwfl, find_libc, &found, 0);
  if (!found.libc) return std::nullopt;
  int n = dwfl_module_getsymtab(found.libc);
  for (int i = 0; i < n; ++i) {
    GElf_Sym sym;
    GElf_Addr addr = 0;
    const char* name = dwfl_module_getsym_info(found.libc, i, &sym, &addr, nullptr, nullptr, nullptr);
    if (!name || !is_symbol(name, "__abort_msg")) continue;
    auto msg = read_remote_word(pid, addr);
    if (!msg || *msg == 0) return std::nullopt;
    // struct abort_msg_s { unsigned int size; char msg[0]; }: the text starts 4 bytes in.
    auto text = read_remote_string(pid, *msg + 4, max_len);
    if (!text) return std::nullopt;
    while (!text->empty() && (text->back() == '\n' || text->back() == ' ')) text->pop_back();
    return text;
  }
  return std::nullopt;
}

std::optional<UncaughtException> find_uncaught_exception(pid_t pid, const ThreadCapture& crashing,
                                                         const std::vector<Mapping>& maps, size_t max_len) {
  std::vector<uint64_t> candidates;
  const user_regs_struct& r = crashing.regs;
  for (uint64_t v : {r.rdi, r.rsi, r.rdx, r.rcx, r.r8, r.r9, r.rax, r.rbx, r.rbp, r.r12, r.r13, r.r14, r.r15})
    candidates.push_back(v);
  size_t words = std::min(kMaxStackWords, crashing.stack.size() / 8);
  for (size_t i = 0; i < words; ++i) {
    uint64_t v = 0;
    std::memcpy(&v, crashing.stack.data() + i * 8, 8);
    candidates.push_back(v);
  }
  std::unordered_set<uint64_t> seen;
  for (uint64_t v : candidates) {
    // A pointer to the header's _Unwind_Exception, or to the thrown object just after it.
    for (uint64_t at : {v, v - kObjectAfterClass}) {
      if (at % 8 != 0 || !seen.insert(at).second) continue;
      const Mapping* m = find_mapping(maps, at);
      if (!m || !m->readable() || !m->writable()) continue;
      auto cls = read_remote_word(pid, at);
      // Only primary exceptions: a rethrown std::exception_ptr ("GNUCC++\x01") has another layout.
      if (!cls || *cls != kGnuCxxClass) continue;
      auto type_info = read_remote_word(pid, at - kTypeInfoBeforeClass);
      if (!type_info) continue;
      auto name_ptr = read_remote_word(pid, *type_info + 8);
      if (!name_ptr) continue;
      auto mangled = read_remote_string(pid, *name_ptr, 256);
      if (!mangled) continue;
      // A type local to one translation unit has its mangled name prefixed with '*'.
      if (!mangled->empty() && (*mangled)[0] == '*') mangled->erase(0, 1);
      UncaughtException e;
      e.object = at + kObjectAfterClass;
      int status = 0;
      std::unique_ptr<char, decltype(&std::free)> demangled(abi::__cxa_demangle(mangled->c_str(), nullptr, nullptr, &status), &std::free);
      e.type = status == 0 && demangled ? demangled.get() : *mangled;
      if (stores_message_after_vptr(*mangled)) {
        if (auto text_ptr = read_remote_word(pid, e.object + 8)) e.what = read_remote_string(pid, *text_ptr, max_len);
      }
      return e;
    }
  }
  return std::nullopt;
}

}  // namespace dbg::worker
