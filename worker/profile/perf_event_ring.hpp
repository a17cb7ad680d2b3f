#pragma once
// PerfEventRing: one perf_event_open(2) event and its mmap'd sample ring, owned together (the
// fd and the mapping close on destruction). The kernel writes records at data_head; we read
// from data_tail up to it and then publish the new tail, which frees the space. A record that
// wraps past the end of the ring is copied into a scratch buffer, so every record reaches the
// caller as one contiguous span. PERF_RECORD_LOST records (the ring was full) are summed here.
#include <linux/perf_event.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "dbg/error.hpp"
#include "dbg/unique_fd.hpp"

namespace dbg::worker {

class PerfEventRing {
 public:
  // Opens `attr` on thread `tid` (any CPU) and maps a ring of at least `data_bytes` (rounded up
  // to a power-of-two number of pages; the mapping is retried smaller, down to min_data_bytes,
  // when the locked-memory limit refuses it). Errors carry the errno name in the message:
  // "perf_event_open: EACCES" (code permission_denied), ESRCH (thread_gone), others perf_failed.
  static Result<PerfEventRing> open(const perf_event_attr& attr, pid_t tid, size_t data_bytes, size_t min_data_bytes);

  PerfEventRing(PerfEventRing&& other) noexcept;
  PerfEventRing& operator=(PerfEventRing&& other) noexcept;
  PerfEventRing(const PerfEventRing&) = delete;
  PerfEventRing& operator=(const PerfEventRing&) = delete;
  ~PerfEventRing();

  int fd() const { return fd_.get(); }
  size_t data_bytes() const { return data_size_; }
  // Calls on_record(type, record, size) for every complete record now in the ring (record points
  // at the perf_event_header; size is the header's), then frees their space. Returns the count.
  size_t drain(const std::function<void(uint32_t type, const uint8_t* record, size_t size)>& on_record);
  // Samples the kernel reported lost since the event was opened.
  uint64_t lost() const { return lost_; }
  // The event's counter (for a task clock: nanoseconds the thread ran while it was enabled);
  // nullopt when read() fails.
  std::optional<uint64_t> count() const;
  // New sampling period (the event's unit: ns for a clock event). False when the ioctl fails.
  bool set_period(uint64_t period) const;

 private:
  PerfEventRing(UniqueFd fd, void* map, size_t map_size, size_t data_size)
      : fd_(std::move(fd)), map_(map), map_size_(map_size), data_size_(data_size) {}
  void unmap();

  UniqueFd fd_;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  size_t data_size_ = 0;  // power of two
  uint64_t lost_ = 0;
  std::vector<uint8_t> scratch_;  // a record that wraps around the ring end, made contiguous
};

// "EACCES" for EACCES, ... (the symbolic errno name, for messages that say exactly what failed).
const char* errno_name(int err);

}  // namespace dbg::worker
