#pragma once
// Counts open connections against HttpLimits::max_connections. A connection holds a Slot for
// its whole life, through the upgrade from HTTP to WebSocket; destroying the Slot (on any
// thread) frees it.
#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>

namespace dbg::coord::http {

class ConnectionLimit : public std::enable_shared_from_this<ConnectionLimit> {
 public:
  class Slot {
   public:
    Slot(Slot&& other) noexcept = default;
    Slot& operator=(Slot&& other) noexcept {
      release();
      owner_ = std::move(other.owner_);
      return *this;
    }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { release(); }

   private:
    friend class ConnectionLimit;
    explicit Slot(std::shared_ptr<ConnectionLimit> owner) : owner_(std::move(owner)) {}
    void release() {
      if (owner_) owner_->active_.fetch_sub(1, std::memory_order_acq_rel);
      owner_.reset();
    }
    std::shared_ptr<ConnectionLimit> owner_;
  };

  // Create with std::make_shared (slots keep the limit alive).
  explicit ConnectionLimit(std::size_t max) : max_(max) {}

  // A slot, or nullopt when max are taken.
  std::optional<Slot> try_acquire() {
    std::size_t current = active_.load(std::memory_order_relaxed);
    do {
      if (current >= max_) return std::nullopt;
    } while (!active_.compare_exchange_weak(current, current + 1, std::memory_order_acq_rel));
    return Slot(shared_from_this());
  }

  std::size_t active() const { return active_.load(std::memory_order_relaxed); }
  std::size_t max() const { return max_; }

 private:
  const std::size_t max_;
  std::atomic<std::size_t> active_{0};
};

}  // namespace dbg::coord::http
