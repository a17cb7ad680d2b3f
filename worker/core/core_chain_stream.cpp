#include "worker/core/core_chain_stream.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include "dbg/unique_fd.hpp"

namespace dbg::worker::core {

CoreStream::CoreStream(int in_fd, std::span<const uint8_t> prefix)
    : fd_(in_fd), prefix_(prefix), heap_(new (std::nothrow) uint8_t[kChainPieceBytes]) {}

size_t CoreStream::read_some(uint8_t* buf, size_t cap) {
  while (!at_end_) {
    const ssize_t n = ::read(fd_, buf, cap);
    if (n > 0) {
      bytes_seen_ += static_cast<uint64_t>(n);
      return static_cast<size_t>(n);
    }
    if (n == 0) {
      at_end_ = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {  // a non-blocking stdin: wait for the kernel's next bytes
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, -1) >= 0 || errno == EINTR) continue;
    }
    read_error_ = std::strerror(errno);
    at_end_ = true;
  }
  return 0;
}

std::span<const uint8_t> CoreStream::next() {
  if (prefix_pos_ < prefix_.size()) {
    const size_t n = std::min(kChainPieceBytes, prefix_.size() - prefix_pos_);
    auto piece = prefix_.subspan(prefix_pos_, n);
    prefix_pos_ += n;
    bytes_seen_ += n;
    return piece;
  }
  uint8_t* buf = heap_ ? heap_.get() : fallback_;
  const size_t cap = heap_ ? kChainPieceBytes : sizeof fallback_;
  const size_t n = read_some(buf, cap);
  return {buf, n};
}

ssize_t CoreStream::splice_to(int out_fd, size_t max) {
  if (at_end_) return 0;
  for (;;) {
    const ssize_t n = ::splice(fd_, nullptr, out_fd, nullptr, max, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0) bytes_seen_ += static_cast<uint64_t>(n);
    if (n == 0) at_end_ = true;
    if (n < 0 && errno == EINTR) continue;
    return n;
  }
}

void CoreStream::drain() {
  if (prefix_pos_ < prefix_.size()) {
    bytes_seen_ += prefix_.size() - prefix_pos_;
    prefix_pos_ = prefix_.size();
  }
  if (at_end_) return;
  // splice(2) moves pipe pages into /dev/null without copying them to us: a 4 GiB core costs
  // no 4 GiB of copies. It needs stdin to be a pipe (it is, from the kernel); anything else
  // falls back to reading.
  UniqueFd null(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  while (null.valid() && !at_end_) {
    const ssize_t n = ::splice(fd_, nullptr, null.get(), nullptr, 1 << 20, SPLICE_F_MOVE);
    if (n > 0) {
      bytes_seen_ += static_cast<uint64_t>(n);
      continue;
    }
    if (n == 0) {
      at_end_ = true;
      return;
    }
    if (errno == EINTR) continue;
    break;  // EINVAL (not a pipe), EAGAIN (non-blocking): the reading loop handles both
  }
  uint8_t* buf = heap_ ? heap_.get() : fallback_;
  const size_t cap = heap_ ? kChainPieceBytes : sizeof fallback_;
  while (read_some(buf, cap) > 0) {
  }
}

}  // namespace dbg::worker::core
