#include "worker/profile/perf_event_ring.hpp"

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace dbg::worker {

namespace {

size_t page_size() {
  static const size_t size = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

size_t round_up_pow2_pages(size_t bytes) {
  size_t n = page_size();
  while (n < bytes) n <<= 1;
  return n;
}

Error open_error(int err, pid_t tid) {
  std::string message = std::string("perf_event_open: ") + errno_name(err) + " (thread " + std::to_string(tid) + ")";
  if (err == EACCES || err == EPERM) return Error{"permission_denied", message};
  if (err == ESRCH) return Error{"thread_gone", message};
  return Error{"perf_failed", message};
}

}  // namespace

const char* errno_name(int err) {
  const char* name = ::strerrorname_np(err);
  return name ? name : "EUNKNOWN";
}

Result<PerfEventRing> PerfEventRing::open(const perf_event_attr& attr, pid_t tid, size_t data_bytes,
                                          size_t min_data_bytes) {
  perf_event_attr a = attr;
  a.size = sizeof(a);
  long fd = ::syscall(SYS_perf_event_open, &a, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) return open_error(errno, tid);
  UniqueFd owned(static_cast<int>(fd));
  // One metadata page, then 2^n data pages. Above perf_event_mlock_kb the pages count against
  // RLIMIT_MEMLOCK (unprivileged users): a smaller ring is better than none.
  size_t data = round_up_pow2_pages(data_bytes);
  const size_t min_data = round_up_pow2_pages(min_data_bytes);
  for (;;) {
    const size_t map_size = page_size() + data;
    void* map = ::mmap(nullptr, map_size, PROT_READ | PROT_WRITE, MAP_SHARED, owned.get(), 0);
    if (map != MAP_FAILED) return PerfEventRing(std::move(owned), map, map_size, data);
    const int err = errno;
    if ((err != EPERM && err != ENOMEM) || data / 2 < min_data)
      return Error{err == EPERM ? "permission_denied" : "perf_failed",
                   std::string("mmap of the perf ring: ") + errno_name(err) + " (thread " + std::to_string(tid) + ")"};
    data /= 2;
  }
}

PerfEventRing::PerfEventRing(PerfEventRing&& other) noexcept
    : fd_(std::move(other.fd_)), map_(std::exchange(other.map_, nullptr)), map_size_(std::exchange(other.map_size_, 0)),
      data_size_(std::exchange(other.data_size_, 0)), lost_(other.lost_), scratch_(std::move(other.scratch_)) {}

PerfEventRing& PerfEventRing::operator=(PerfEventRing&& other) noexcept {
  if (this != &other) {
    unmap();
    fd_ = std::move(other.fd_);
    map_ = std::exchange(other.map_, nullptr);
    map_size_ = std::exchange(other.map_size_, 0);
    data_size_ = std::exchange(other.data_size_, 0);
    lost_ = other.lost_;
    scratch_ = std::move(other.scratch_);
  }
  return *this;
}

PerfEventRing::~PerfEventRing() { unmap(); }

void PerfEventRing::unmap() {
  if (map_) ::munmap(map_, map_size_);
  map_ = nullptr;
}

size_t PerfEventRing::drain(const std::function<void(uint32_t, const uint8_t*, size_t)>& on_record) {
  if (!map_) return 0;
  auto* meta = static_cast<perf_event_mmap_page*>(map_);
  const uint8_t* data = static_cast<const uint8_t*>(map_) + page_size();
  // Acquire: the records up to head are fully written before we see head move (the kernel
  // publishes head with a release after writing them).
  const uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
  uint64_t tail = meta->data_tail;  // only we write it
  const uint64_t mask = data_size_ - 1;
  size_t n = 0;
  while (tail < head) {
    const uint64_t available = head - tail;
    perf_event_header header{};
    // The header itself may straddle the end of the ring.
    for (size_t i = 0; i < sizeof(header); ++i)
      reinterpret_cast<uint8_t*>(&header)[i] = data[(tail + i) & mask];
    if (available < sizeof(header) || header.size < sizeof(header) || header.size > available) {
      // Cannot happen with a sane kernel; if it does, nothing after this point can be framed:
      // drop the rest and count it, rather than read garbage as records.
      ++lost_;
      tail = head;
      break;
    }
    const size_t offset = tail & mask;
    const uint8_t* record = data + offset;
    if (offset + header.size > data_size_) {
      scratch_.resize(header.size);
      const size_t first = data_size_ - offset;
      std::memcpy(scratch_.data(), data + offset, first);
      std::memcpy(scratch_.data() + first, data, header.size - first);
      record = scratch_.data();
    }
    if (header.type == PERF_RECORD_LOST && header.size >= sizeof(header) + 16) {
      uint64_t lost = 0;  // {header, u64 id, u64 lost}
      std::memcpy(&lost, record + sizeof(header) + 8, sizeof(lost));
      lost_ += lost;
    }
    on_record(header.type, record, header.size);
    tail += header.size;
    ++n;
  }
  // Release: our reads of the records are done before the kernel may overwrite their space.
  __atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
  return n;
}

std::optional<uint64_t> PerfEventRing::count() const {
  uint64_t value = 0;
  if (::read(fd_.get(), &value, sizeof(value)) != static_cast<ssize_t>(sizeof(value))) return std::nullopt;
  return value;
}

bool PerfEventRing::set_period(uint64_t period) const {
  return ::ioctl(fd_.get(), PERF_EVENT_IOC_PERIOD, &period) == 0;
}

}  // namespace dbg::worker
