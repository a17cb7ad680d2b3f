#pragma once
// Writes a core stream into a file the way the kernel writes core files (fs/coredump.c):
// - pages of zeros become holes: the kernel skips the pages a process never populated with
//   lseek (dump_skip), and sends them to a pipe as zeros; writing every all-zero page
//   (aligned to the file offset) as a hole gives back a sparse file with the same bytes;
// - at most `limit` bytes (the crasher's RLIMIT_CORE) are written. Like the kernel's
//   dump_emit, holes do not count: the limit bounds the disk a core may take, not its apparent
//   size. Once the limit is reached nothing more goes into the file, holes included;
// - the file ends where the data ended (finish() extends it over a trailing hole, as the
//   kernel's final one-byte write does).
#include <cstdint>
#include <span>
#include <string>

#include "dbg/error.hpp"

namespace dbg::worker::core {

class SparseCoreWriter {
 public:
  SparseCoreWriter(int fd, uint64_t limit, size_t page_size);

  // Appends the next bytes of the stream; false once nothing more will be written (the limit is
  // reached, or a write failed: see error()).
  bool append(std::span<const uint8_t> data);
  // Sets the file's size to the end of what was taken.
  Result<void> finish();

  uint64_t size() const { return pos_; }           // the file's size so far (holes included)
  uint64_t written() const { return written_; }    // bytes actually written (holes excluded)
  bool limit_reached() const { return limit_reached_; }
  const std::string& error() const { return error_; }

 private:
  bool write_at(const uint8_t* p, size_t n, uint64_t offset);

  int fd_;
  uint64_t limit_;
  size_t page_;
  uint64_t pos_ = 0;
  uint64_t written_ = 0;
  bool limit_reached_ = false;
  std::string error_;
};

}  // namespace dbg::worker::core
