#pragma once
// The body of POST /api/v1/errors/events: one event object, or {"events":[...]} with 1 to
// kMaxEventsPerRequest of them. An event:
//   {"type": "ValueError",            required string, 1..kMaxTypeChars bytes
//    "message": "…",                  optional string, cut to 500 characters
//    "frames": [{"function": "f"|null, "module": "app", "offset": "0x1a2b"|6699,
//                "file": "a.c"|null, "line": 12|null, "pc": "0x…"|n, "inlined": false}, …],
//                                     optional, innermost first, at most kMaxFramesPerEvent
//    "timestamp": 1700000000000,      optional unix ms (default: when received)
//    "pid": 1234, "comm": "server",   optional
//    "context": {…}}                  optional object, stored and served as-is
// A field of the wrong type, an unknown field (a typo must not pass silently) or a malformed
// event anywhere refuses the whole request: nothing of it is stored.
#include <cstddef>
#include <string_view>
#include <vector>

#include "coordinator/errors/error_event.hpp"
#include "coordinator/errors/prepared_stack.hpp"
#include "dbg/error.hpp"

namespace dbg::coord::errors {

inline constexpr std::size_t kMaxEventsPerRequest = 1000;
inline constexpr std::size_t kMaxFramesPerEvent = 256;
inline constexpr std::size_t kMaxTypeChars = 200;
inline constexpr std::size_t kMaxNameBytes = 4096;  // function, module, file, comm

// A parsed body. frames_text[i] is event i's "frames" array exactly as sent (a view into the
// body, empty when the event has none): equal texts parse to equal frames, so the service keys
// its cache of prepared stacks (prepared_stack.hpp) on them. known[i] is that cache's entry
// when the parser found the text there: event i's frames were then skipped, not parsed (its
// `frames` is empty), and the entry has them. Entries stay valid until the memo is next changed.
struct ParsedEvents {
  std::vector<ErrorEvent> events;
  std::vector<std::string_view> frames_text;
  std::vector<StackMemo::Entry*> known;
};

// Error "bad_request" with what is wrong and where ("events[3].frames[0].line: ..."), or
// "malformed JSON (at byte N: ...)" for input that is not JSON. Strict and bounded: see
// json_cursor.hpp; containers nest at most protocol::kMaxJsonDepth levels. With a memo, frames
// texts found in it are skipped (see ParsedEvents).
Result<ParsedEvents> parse_error_body(std::string_view body, StackMemo* memo = nullptr);
// The same, events only.
Result<std::vector<ErrorEvent>> parse_error_events(std::string_view body);

}  // namespace dbg::coord::errors
