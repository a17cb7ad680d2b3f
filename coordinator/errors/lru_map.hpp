#pragma once
// A map with a capacity: inserting beyond it evicts the least recently used entry. Used for the
// signature -> group cache, whose truth is in SQLite: an evicted group is read back on its next
// event, so memory stays bounded however many groups exist. Not thread-safe.
//
// Each key is stored once, in its list node; the index holds views of those nodes (which never
// move), so a lookup by string_view allocates nothing and a 600-byte key costs 600 bytes, not
// twice that.
#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace dbg::coord::errors {

template <typename Value>
class LruMap {
 public:
  explicit LruMap(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // The value, marked most recently used; nullptr when absent.
  Value* find(std::string_view key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }

  // Whether the key is present, without marking it used.
  bool contains(std::string_view key) const { return index_.count(key) != 0; }

  // Inserts or replaces, marked most recently used; evicts the oldest entry beyond capacity.
  void put(std::string_view key, Value value) {
    if (Value* existing = find(key)) {
      *existing = std::move(value);
      return;
    }
    order_.emplace_front(std::string(key), std::move(value));
    index_.emplace(std::string_view(order_.front().first), order_.begin());
    if (order_.size() > capacity_) evict_oldest();
  }

  void erase(std::string_view key) {
    auto it = index_.find(key);
    if (it == index_.end()) return;
    const auto node = it->second;
    index_.erase(it);  // the view goes before its node
    order_.erase(node);
  }

  // Shrinks (evicting the least recently used entries) or grows the bound; the budget's load
  // shedding uses it.
  void set_capacity(std::size_t capacity) {
    capacity_ = capacity == 0 ? 1 : capacity;
    while (order_.size() > capacity_) evict_oldest();
  }
  void clear() {
    index_.clear();
    order_.clear();
  }

  // The entry put() would evict next (nullptr when empty): callers that must save an entry
  // before it goes (a dirty group) look here first.
  const std::string* least_recent_key() const { return order_.empty() ? nullptr : &order_.back().first; }
  Value* least_recent_value() { return order_.empty() ? nullptr : &order_.back().second; }
  // Every entry, most recently used first, without changing the order.
  template <typename F>
  void for_each(F&& f) {
    for (auto& [key, value] : order_) f(static_cast<const std::string&>(key), value);
  }

  std::size_t size() const { return index_.size(); }
  std::size_t capacity() const { return capacity_; }
  std::size_t evictions() const { return evictions_; }

 private:
  using Order = std::list<std::pair<std::string, Value>>;

  void evict_oldest() {
    index_.erase(std::string_view(order_.back().first));  // the view goes before its node
    order_.pop_back();
    ++evictions_;
  }

  std::size_t capacity_;
  Order order_;
  std::unordered_map<std::string_view, typename Order::iterator> index_;
  std::size_t evictions_ = 0;
};

}  // namespace dbg::coord::errors
