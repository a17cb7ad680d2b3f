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
class StackMemo {
 public:
  struct Entry {
    std::shared_ptr<const PreparedStack> stack;
    std::string error_class;  // of the last signature computed with this stack
    std::string signature;    // that signature
  };

  explicit StackMemo(std::size_t capacity) : entries_(capacity) {}

  // The entry for these exact bytes, marked recently used; nullptr if unknown.
  Entry* find(std::string_view frames_text) {
    Entry* e = entries_.find(frames_text);
    ++(e ? hits_ : misses_);
    return e;
  }
  Entry& put(std::string_view frames_text, std::shared_ptr<const PreparedStack> stack) {
    entries_.put(frames_text, Entry{std::move(stack), {}, {}});
    return *entries_.find(frames_text);
  }
  void set_capacity(std::size_t capacity) { entries_.set_capacity(capacity); }
  std::size_t size() const { return entries_.size(); }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

 private:
  LruMap<Entry> entries_;
  uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace dbg::coord::errors
