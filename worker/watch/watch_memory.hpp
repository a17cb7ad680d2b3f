#pragma once
// Reading a stopped target: its mappings (/proc/PID/maps), bytes of its memory
// (process_vm_readv, never written), and what a fault address falls in.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dbg::worker {

struct Mapping {
  uint64_t start = 0, end = 0;
  std::string perms;  // "r-xp"
  std::string path;   // "" for anonymous memory, "[heap]", "[stack]", a file
  bool readable() const { return !perms.empty() && perms[0] == 'r'; }
  bool writable() const { return perms.size() > 1 && perms[1] == 'w'; }
  bool executable() const { return perms.size() > 2 && perms[2] == 'x'; }
};

std::vector<Mapping> read_maps(pid_t pid);
const Mapping* find_mapping(const std::vector<Mapping>& maps, uint64_t addr);

// Copies up to len bytes from the target at addr into out, page by page, stopping at the first
// unreadable page. Returns the bytes copied.
size_t read_remote(pid_t pid, uint64_t addr, void* out, size_t len);
std::optional<uint64_t> read_remote_word(pid_t pid, uint64_t addr);
// A NUL-terminated string of at most max_len bytes (cut there when longer).
std::optional<std::string> read_remote_string(pid_t pid, uint64_t addr, size_t max_len);

// What a fault address falls in: "null_page" (below 64 KiB, where nothing may be mapped:
// vm.mmap_min_addr), "stack_guard" (the guard page or gap below a thread's stack: a stack
// overflow), "stack", "heap", "text" (executable), "data" (file-backed, not executable),
// "anonymous", "unmapped", "kernel" (upper half). `stack_pointers` are the sp of every captured
// thread: a mapping holding one is a stack.
std::string classify_address(const std::vector<Mapping>& maps, uint64_t addr,
                             const std::vector<uint64_t>& stack_pointers);

}  // namespace dbg::worker
