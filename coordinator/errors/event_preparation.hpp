#pragma once
// Event preparation: an ErrorEvent made ready for the store thread on the thread that has it
// (the caller of record/record_batch, or the parse thread for POST bodies), so that the single
// store thread does nothing but grouping and SQL. Preparing bounds the texts (UTF-8-safe cuts),
// fills the defaults (source "api", kind "reported", timestamp = when received), signs the event
// (signature.hpp) and serializes its context.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "coordinator/errors/error_event.hpp"
#include "coordinator/errors/error_event_json.hpp"
#include "coordinator/errors/prepared_stack.hpp"

namespace dbg::coord::errors {

inline constexpr std::size_t kMaxTypeBytes = 200;
inline constexpr std::size_t kMaxCommBytes = 64;
inline constexpr std::size_t kMaxLabelBytes = 32;  // source, kind

struct PreparedEvent {
  ErrorEvent event;  // bounded and defaulted; its frames are in `stack` (event.frames is empty)
  std::shared_ptr<const PreparedStack> stack;
  std::string signature;  // signature.hpp: 32 hex digits
  std::string error_class;
  std::string context_json;  // event.context serialized ("{}" when none); event.context is null
  int64_t received_at = 0;
};

// One heap object per event: after the COMMIT an observer may keep an event (the analysis keeps
// each touched group's latest until it gets to it) without keeping its whole batch.
using PreparedBatch = std::vector<std::shared_ptr<const PreparedEvent>>;

// `stack`: the event's frames prepared already (the parse thread's memo), else null and made
// from e.frames. `memo`: the memo's entry for that stack, whose last signature is reused when
// the error class is the same (with frames, nothing else goes into the signature); a signature
// computed here is left in it for the next event.
PreparedEvent prepare_event(ErrorEvent e, int64_t received_at, std::shared_ptr<const PreparedStack> stack = nullptr,
                            StackMemo::Entry* memo = nullptr);

// Events without a memo (record, record_batch), all received at `received_at`.
std::shared_ptr<PreparedBatch> prepare_events(std::vector<ErrorEvent> events, int64_t received_at);

// A parsed body's events, with the parse thread's memo: an event whose frames text the parser
// found there shares that stack; the body's new texts are prepared once each and join the memo
// (after the loop, so that no entry the parser handed out is evicted while in use). The body
// that `parsed` views must still be alive.
std::shared_ptr<PreparedBatch> prepare_body(StackMemo& memo, ParsedEvents parsed, int64_t received_at);

}  // namespace dbg::coord::errors
