#pragma once
// The core as the chain sees it: the bytes the handler already read from stdin (the prefix),
// then the rest of stdin until EOF, in pieces of at most 64 KiB, so memory stays bounded whatever
// the core's size. Counts every byte it hands out or discards. The kernel keeps the crasher (and
// with core_pipe_limit > 0, waits) until stdin is drained, so drain() is what every path ends
// with.
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace dbg::worker::core {

inline constexpr size_t kChainPieceBytes = 64 * 1024;

class CoreStream {
 public:
  CoreStream(int in_fd, std::span<const uint8_t> prefix);
  CoreStream(const CoreStream&) = delete;
  CoreStream& operator=(const CoreStream&) = delete;

  // The next piece (valid until the next call); empty at EOF or after a read error.
  std::span<const uint8_t> next();
  // Reads and discards the rest until EOF (splice into /dev/null where the kernel allows it).
  void drain();

  // True while bytes of the prefix are still to come from next().
  bool prefix_left() const { return prefix_pos_ < prefix_.size(); }
  // Once the prefix is out: moves up to `max` bytes of stdin straight into `out_fd` with
  // splice(2), without copying them through us. Bytes moved, 0 at EOF, -1 with errno
  // (EAGAIN when either pipe is not ready, EINVAL when stdin or out_fd is no pipe, EPIPE).
  ssize_t splice_to(int out_fd, size_t max);

  int fd() const { return fd_; }
  uint64_t bytes_seen() const { return bytes_seen_; }
  bool at_end() const { return at_end_; }
  // Why reading stopped before EOF ("" when it reached EOF).
  const std::string& read_error() const { return read_error_; }

 private:
  // One read(2) into the buffer: bytes read, 0 at EOF or on error.
  size_t read_some(uint8_t* buf, size_t cap);

  int fd_;
  std::span<const uint8_t> prefix_;
  size_t prefix_pos_ = 0;
  std::unique_ptr<uint8_t[]> heap_;  // kChainPieceBytes, or null when allocation failed
  uint8_t fallback_[4096];           // a smaller buffer than nothing: we must drain anyway
  uint64_t bytes_seen_ = 0;
  bool at_end_ = false;
  std::string read_error_;
};

}  // namespace dbg::worker::core
