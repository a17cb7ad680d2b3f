#pragma once
// Reads the head of the core (ELF header, program headers, notes: core_notes.hpp) from the pipe
// the kernel writes it to, and no further: the rest, the process's memory, is streamed on by the
// chain (core_chain.hpp) without ever being held. What was read is kept, because the previous
// handler or core file must get the core from its first byte.
#include <chrono>
#include <cstdint>
#include <vector>

#include "dbg/error.hpp"
#include "worker/core/core_notes.hpp"

namespace dbg::worker::core {

struct CoreHead {
  std::vector<uint8_t> prefix;  // every byte read from the core (at most kMaxCoreHeadBytes)
  Result<CoreNotes> notes = Error{"truncated", "nothing read"};
};

// Reads in three steps, each exactly as far as the last one said the head goes: the ELF header,
// the program headers, the notes. Gives up ("truncated") at EOF, on a read error, or when no byte
// arrived for `stall` (the kernel writes the head at once; a handler started by hand on a
// terminal must not wait for ever).
CoreHead read_core_head(int fd, std::chrono::milliseconds stall = std::chrono::seconds(10));

}  // namespace dbg::worker::core
