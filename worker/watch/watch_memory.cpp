#include "worker/watch/watch_memory.hpp"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "dbg/unique_fd.hpp"

namespace dbg::worker {

namespace {
constexpr uint64_t kPage = 4096;
constexpr uint64_t kNullPageEnd = 0x10000;  // vm.mmap_min_addr's usual value
// The kernel keeps stack_guard_gap (256 pages) unmapped below a growing stack; a fault there or
// in a thread stack's PROT_NONE guard is an overflow. A little slack above the gap covers
// frames that skip past it.
constexpr uint64_t kStackGuardGap = (256 + 16) * kPage;
}  // namespace

std::vector<Mapping> read_maps(pid_t pid) {
  std::vector<Mapping> maps;
  UniqueFd fd(::open(("/proc/" + std::to_string(pid) + "/maps").c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return maps;
  std::string text;
  char buf[65536];
  for (ssize_t n; (n = ::read(fd.get(), buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string line = text.substr(pos, eol - pos);
    pos = eol + 1;
    // start-end perms offset dev inode [path]
    Mapping m;
    char* end = nullptr;
    m.start = std::strtoull(line.c_str(), &end, 16);
    if (*end != '-') continue;
    m.end = std::strtoull(end + 1, &end, 16);
    while (*end == ' ') ++end;
    const char* perms = end;  // NOLINT
    while (*end && *end != ' ') ++end;
    m.perms.assign(perms, static_cast<size_t>(end - perms));
    // Skip offset, dev, inode: the path starts after the fifth field.
    int field = 2;
    const char* p = end;
    while (*p && field < 5) {
      while (*p == ' ') ++p;
      while (*p && *p != ' ') ++p;
      ++field;
    }
    while (*p == ' ') ++p;
    m.path = p;
    maps.push_back(std::move(m));
  }
  return maps;
}

const Mapping* find_mapping(const std::vector<Mapping>& maps, uint64_t addr) {
  for (const auto& m : maps) {
    if (addr >= m.start && addr < m.end) return &m;
  }
  return nullptr;
}

size_t read_remote(pid_t pid, uint64_t addr, void* out, size_t len) {
  size_t copied = 0;
  auto* dst = static_cast<uint8_t*>(out);
  while (copied < len) {
    uint64_t at = addr + copied;
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(len - copied, (at / kPage + 1) * kPage - at));
    iovec local{dst + copied, chunk};
    iovec remote{reinterpret_cast<void*>(at), chunk};
    ssize_t got = ::process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (got <= 0) break;
    copied += static_cast<size_t>(got);
    if (static_cast<size_t>(got) < chunk) break;
  }
  return copied;
}

std::optional<uint64_t> read_remote_word(pid_t pid, uint64_t addr) {
  uint64_t word = 0;
  if (read_remote(pid, addr, &word, sizeof word) != sizeof word) return std::nullopt;
  return word;
}

std::optional<std::string> read_remote_string(pid_t pid, uint64_t addr, size_t max_len) {
  if (addr == 0) return std::nullopt;
  std::string out;
  char buf[256];
  while (out.size() < max_len) {
    size_t want = std::min(sizeof buf, max_len - out.size());
    size_t got = read_remote(pid, addr + out.size(), buf, want);
    if (got == 0) break;
    const void* nul = std::memchr(buf, 0, got);
    if (nul) {
      out.append(buf, static_cast<const char*>(nul) - buf);
      return out;
    }
    out.append(buf, got);
    if (got < want) break;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::string classify_address(const std::vector<Mapping>& maps, uint64_t addr,
                             const std::vector<uint64_t>& stack_pointers) {
  if (addr < kNullPageEnd) return "null_page";
  if (addr >= 0x800000000000ULL) return "kernel";
  auto holds_stack = [&](const Mapping& m) {
    if (m.path == "[stack]") return true;
    return std::any_of(stack_pointers.begin(), stack_pointers.end(),
                       [&](uint64_t sp) { return sp >= m.start && sp < m.end; });
  };
  const Mapping* m = find_mapping(maps, addr);
  if (m && m->perms.substr(0, 3) != "---") {
    if (holds_stack(*m)) return "stack";
    if (m->path == "[heap]") return "heap";
    if (m->executable()) return "text";
    if (m->path.empty()) return "anonymous";
    return "data";
  }
  // Unmapped or PROT_NONE: a guard when it lies just below a stack.
  for (const auto& s : maps) {
    if (!holds_stack(s)) continue;
    if (addr < s.start && s.start - addr <= kStackGuardGap) return "stack_guard";
  }
  return "unmapped";
}

}  // namespace dbg::worker
