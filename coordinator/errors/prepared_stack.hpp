#pragma once
// PreparedStack: what an error event's frames give the error groups (the signature's keys, the
// frames as stored), computed once per distinct stack and shared, immutable, by every event
// that has it. StackMemo: the parse thread's cache of them, keyed by the raw "frames" text of
// POST bodies.
//
// Why: applications report the same error from the same place over and over, so most events
// of an ingest repeat a frames text seen moments before. Parsing those frames, normalizing
// their function names, hashing them and writing them out again as JSON was most of the parse
// thread's time per event (and ~20 allocations). With the memo, the body parser skips a known
// frames text by its raw bytes (equal bytes are an equally valid array: json_cursor.hpp,
// raw_container_end) and the event shares the stack prepared the first time.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "coordinator/errors/lru_map.hpp"
#include "dbg/snapshot.hpp"

namespace dbg::coord::errors {

// At most this many of an event's frames are kept (the API refuses more; a watch captures 20).
inline constexpr std::size_t kMaxStoredFrames = 256;

struct PreparedStack {
  std::vector<std::string> signature_frames;  // signature.hpp steps 1-4
  std::string frames_json;                    // the frames as stored (error_stacks) and served
  std::string signature_frames_json;          // signature_frames as a JSON array
  // The error_stacks row holding frames_json, once the store thread has looked it up or
  // inserted it; 0 before. Set and read on the store thread only (which also clears it again
  // when the write that inserted the row is rolled back); atomic because the object is shared.
  mutable std::atomic<int64_t> stack_id{0};
};

// The frames' PreparedStack (the first kMaxStoredFrames of them).
std::shared_ptr<const PreparedStack> prepare_stack(std::vector<Frame> frames);

// Raw frames text -> its PreparedStack, least recently used out first, plus the signature hash
// last computed from that stack (with keys, a signature depends only on them and the error
// class: signature.hpp). One thread only (the error service's parse thread).
//
// Bounded in entries and in bytes: a frames text may be up to a request's 1 MiB, so a count
// alone would not bound the memory. The bytes allowed are kBytesPerEntry per entry of capacity
// (16 MiB for the default 4,096; a usual five-frame stack takes ~2 KB); a single text over
// kMaxTextBytes is not kept at all (it is prepared for its event and forgotten).
class StackMemo {
 public:
  static constexpr std::size_t kBytesPerEntry = 4096;
  static constexpr std::size_t kMaxTextBytes = 64 * 1024;

  struct Entry {
    std::shared_ptr<const PreparedStack> stack;
    std::string error_class;  // of the last signature computed with this stack
    std::string signature;    // that signature
    std::size_t bytes = 0;    // what the entry holds, key included (for the byte bound)
  };

  explicit StackMemo(std::size_t capacity) : entries_(capacity), max_bytes_(byte_budget(capacity)) {}

  // The entry for these exact bytes, marked recently used; nullptr if unknown.
  Entry* find(std::string_view frames_text) {
    Entry* e = entries_.find(frames_text);
    ++(e ? hits_ : misses_);
    return e;
  }
  // Keeps the stack under its text (unless the text is too large to keep); may evict others,
  // which invalidates pointers find() returned.
  void put(std::string_view frames_text, std::shared_ptr<const PreparedStack> stack);
  void set_capacity(std::size_t capacity);

  std::size_t size() const { return entries_.size(); }
  std::size_t bytes() const { return bytes_; }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

 private:
  static std::size_t byte_budget(std::size_t capacity) { return (capacity == 0 ? 1 : capacity) * kBytesPerEntry; }
  void drop_oldest();  // the least recently used entry, and its bytes

  LruMap<Entry> entries_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace dbg::coord::errors
