#include "worker/core/core_file_writer.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace dbg::worker::core {

namespace {

bool all_zero(const uint8_t* p, size_t n) {
  // Word-wise where aligned: this runs over every byte of every core.
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) % sizeof(uint64_t)) != 0) {
    if (*p != 0) return false;
    ++p;
    --n;
  }
  const auto* w = reinterpret_cast<const uint64_t*>(p);
  for (; n >= sizeof(uint64_t); n -= sizeof(uint64_t), ++w)
    if (*w != 0) return false;
  p = reinterpret_cast<const uint8_t*>(w);
  for (; n > 0; --n, ++p)
    if (*p != 0) return false;
  return true;
}

}  // namespace

SparseCoreWriter::SparseCoreWriter(int fd, uint64_t limit, size_t page_size)
    : fd_(fd), limit_(limit), page_(page_size == 0 ? 4096 : page_size) {}

bool SparseCoreWriter::write_at(const uint8_t* p, size_t n, uint64_t offset) {
  while (n > 0) {
    const ssize_t w = ::pwrite(fd_, p, n, static_cast<off_t>(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      error_ = std::strerror(w < 0 ? errno : ENOSPC);
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
    offset += static_cast<uint64_t>(w);
  }
  return true;
}

bool SparseCoreWriter::append(std::span<const uint8_t> data) {
  if (limit_reached_ || !error_.empty()) return false;
  size_t i = 0;
  while (i < data.size()) {
    // Pages are aligned to the file offset, not to the piece: the prefix can end anywhere.
    const auto page_end = [&](size_t at) {
      const uint64_t off = pos_ + (at - i);
      return std::min(data.size(), at + static_cast<size_t>(page_ - off % page_));
    };
    size_t end = page_end(i);
    if (all_zero(data.data() + i, end - i)) {
      pos_ += end - i;  // a hole: nothing written, nothing counted
      i = end;
      continue;
    }
    // A run of pages with data, written with one pwrite.
    while (end < data.size()) {
      const size_t next = page_end(end);
      if (all_zero(data.data() + end, next - end)) break;
      end = next;
    }
    const size_t run = std::min<uint64_t>(end - i, limit_ - written_);
    if (run > 0 && !write_at(data.data() + i, run, pos_)) return false;
    pos_ += run;
    written_ += run;
    i += run;
    if (written_ == limit_) {
      limit_reached_ = true;
      return false;
    }
  }
  return true;
}

Result<void> SparseCoreWriter::finish() {
  if (::ftruncate(fd_, static_cast<off_t>(pos_)) != 0) return Error{"io_error", std::strerror(errno)};
  return {};
}

}  // namespace dbg::worker::core
