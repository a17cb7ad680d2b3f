#include "coordinator/errors/event_preparation.hpp"

#include <string_view>
#include <unordered_map>
#include <utility>

#include "coordinator/errors/signature.hpp"
#include "dbg/utf8.hpp"

namespace dbg::coord::errors {

namespace {

std::string dump(const nlohmann::json& j) {
  // Names and messages come from other processes: invalid UTF-8 is replaced, never thrown on.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// An empty label gets its default; either is cut to kMaxLabelBytes.
void bound_label(std::string& label, const char* fallback) {
  if (label.empty()) label = fallback;
  utf8_cut_bytes(label, kMaxLabelBytes);
}

}  // namespace

PreparedEvent prepare_event(ErrorEvent e, int64_t received_at, std::shared_ptr<const PreparedStack> stack,
                            StackMemo::Entry* memo) {
  PreparedEvent p;
  utf8_cut_bytes(e.type, kMaxTypeBytes);
  if (e.type.empty()) e.type = "unknown";
  // The issue bounds messages in characters, not bytes.
  e.message.resize(utf8_prefix_chars(e.message, kMaxMessageChars).size());
  utf8_cut_bytes(e.comm, kMaxCommBytes);
  bound_label(e.source, "api");
  bound_label(e.kind, "reported");
  if (e.timestamp_ms <= 0) e.timestamp_ms = received_at;
  p.stack = stack ? std::move(stack) : prepare_stack(std::move(e.frames));
  e.frames = {};
  p.error_class = error_class_of(e.type);
  const auto& keys = p.stack->signature_frames;
  if (memo && !keys.empty() && memo->error_class == p.error_class) {
    p.signature = memo->signature;
  } else {
    p.signature = signature_hash(p.error_class, e.type, e.message, e.comm, keys);
    if (memo && !keys.empty()) {
      memo->error_class = p.error_class;
      memo->signature = p.signature;
    }
  }
  p.context_json = e.context.is_null() || e.context.empty() ? "{}" : dump(e.context);
  e.context = nullptr;  // serialized above; the JSON tree is not needed any more
  p.received_at = received_at;
  p.event = std::move(e);
  return p;
}

std::shared_ptr<PreparedBatch> prepare_events(std::vector<ErrorEvent> events, int64_t received_at) {
  auto prepared = std::make_shared<PreparedBatch>();
  prepared->reserve(events.size());
  for (auto& e : events) prepared->push_back(std::make_shared<const PreparedEvent>(prepare_event(std::move(e), received_at)));
  return prepared;
}

std::shared_ptr<PreparedBatch> prepare_body(StackMemo& memo, ParsedEvents parsed, int64_t received_at) {
  auto prepared = std::make_shared<PreparedBatch>();
  prepared->reserve(parsed.events.size());
  std::unordered_map<std::string_view, std::shared_ptr<const PreparedStack>> fresh;
  for (std::size_t i = 0; i < parsed.events.size(); ++i) {
    ErrorEvent& e = parsed.events[i];
    std::shared_ptr<const PreparedStack> stack;
    StackMemo::Entry* known = parsed.known[i];
    if (known) {
      stack = known->stack;
    } else if (auto it = fresh.find(parsed.frames_text[i]); it != fresh.end()) {
      stack = it->second;
    } else {
      stack = prepare_stack(std::move(e.frames));
      fresh.emplace(parsed.frames_text[i], stack);
    }
    prepared->push_back(
        std::make_shared<const PreparedEvent>(prepare_event(std::move(e), received_at, std::move(stack), known)));
  }
  for (auto& [text, stack] : fresh) {
    if (!text.empty()) memo.put(text, std::move(stack));
  }
  return prepared;
}

}  // namespace dbg::coord::errors
