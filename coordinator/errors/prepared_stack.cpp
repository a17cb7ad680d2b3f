#include "coordinator/errors/prepared_stack.hpp"

#include "coordinator/errors/json_writer.hpp"
#include "coordinator/errors/signature.hpp"

namespace dbg::coord::errors {

std::shared_ptr<const PreparedStack> prepare_stack(std::vector<Frame> frames) {
  if (frames.size() > kMaxStoredFrames) frames.resize(kMaxStoredFrames);
  auto stack = std::make_shared<PreparedStack>();
  stack->signature_frames = signature_frames(frames);
  stack->frames_json = frames_json(frames);
  stack->signature_frames_json = string_array_json(stack->signature_frames);
  return stack;
}

namespace {

std::size_t bytes_of(std::string_view text, const PreparedStack& stack) {
  std::size_t n = text.size() + stack.frames_json.size() + stack.signature_frames_json.size() + sizeof(PreparedStack);
  for (const auto& key : stack.signature_frames) n += key.size() + sizeof(std::string);
  return n;
}

}  // namespace

void StackMemo::put(std::string_view frames_text, std::shared_ptr<const PreparedStack> stack) {
  if (frames_text.size() > kMaxTextBytes) return;
  if (Entry* old = entries_.find(frames_text)) {
    bytes_ -= old->bytes;
    entries_.erase(frames_text);
  }
  // Room is made here, never by LruMap itself, so that every entry leaving is subtracted.
  while (entries_.size() >= entries_.capacity()) drop_oldest();
  Entry entry{std::move(stack), {}, {}, 0};
  entry.bytes = bytes_of(frames_text, *entry.stack);
  bytes_ += entry.bytes;
  entries_.put(frames_text, std::move(entry));
  // The newest entry stays even alone over the budget (it is at most kMaxTextBytes and its
  // preparation).
  while (bytes_ > max_bytes_ && entries_.size() > 1) drop_oldest();
}

void StackMemo::set_capacity(std::size_t capacity) {
  while (entries_.size() > capacity && entries_.size() > 0) drop_oldest();
  entries_.set_capacity(capacity);
  max_bytes_ = byte_budget(capacity);
  while (bytes_ > max_bytes_ && entries_.size() > 1) drop_oldest();
}

void StackMemo::drop_oldest() {
  bytes_ -= entries_.least_recent_value()->bytes;
  entries_.erase(*entries_.least_recent_key());
}

}  // namespace dbg::coord::errors
