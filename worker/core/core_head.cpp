#include "worker/core/core_head.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <span>
#include <string>

namespace dbg::worker::core {

namespace {

// Appends bytes from fd until prefix holds `want`. An error says why it could not; prefix
// then holds what did arrive.
Result<void> read_until(int fd, std::vector<uint8_t>& prefix, size_t want, std::chrono::milliseconds stall) {
  size_t have = prefix.size();
  prefix.resize(want);  // once per step: the zero fill is not repeated per read
  Result<void> outcome;
  while (have < want) {
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(stall.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      outcome = Error{"truncated", "no core bytes for " + std::to_string(stall.count()) + " ms"};
      break;
    }
    if (ready < 0) {
      outcome = Error{"truncated", std::string("poll on the core: ") + std::strerror(errno)};
      break;
    }
    ssize_t n = ::read(fd, prefix.data() + have, want - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      outcome = Error{"truncated", std::string("reading the core: ") + std::strerror(errno)};
      break;
    }
    if (n == 0) {
      outcome = Error{"truncated", "the core ended after " + std::to_string(have) + " bytes"};
      break;
    }
    have += static_cast<size_t>(n);
  }
  prefix.resize(have);
  return outcome;
}

}  // namespace

CoreHead read_core_head(int fd, std::chrono::milliseconds stall) {
  CoreHead head;
  auto step = [&](size_t want) -> bool {
    if (auto r = read_until(fd, head.prefix, want, stall); !r) {
      head.notes = r.error();
      return false;
    }
    return true;
  };
  if (!step(kElfHeaderBytes)) return head;
  for (int round = 0; round < 2; ++round) {
    auto layout = parse_core_layout(std::span<const uint8_t>(head.prefix));
    if (!layout) {
      head.notes = layout.error();
      return head;
    }
    if (!step(layout->head_bytes)) return head;
    if (layout->notes_known) break;
  }
  head.notes = parse_core_notes(std::span<const uint8_t>(head.prefix));
  return head;
}

}  // namespace dbg::worker::core
