// Fuzz entries for the parsers of shared/ (the worker protocol and the snapshot wire format)
// and of coordinator/errors/ (function names, signatures, error-event bodies): pure functions,
// so each input runs in microseconds and libFuzzer explores them fast.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "coordinator/errors/error_event_json.hpp"
#include "coordinator/errors/function_name.hpp"
#include "coordinator/errors/prepared_stack.hpp"
#include "coordinator/errors/signature.hpp"
#include "dbg/json_sax_dom.hpp"
#include "dbg/protocol.hpp"
#include "dbg/snapshot_wire.hpp"
#include "fuzz_targets.hpp"

namespace dbg::fuzz {

namespace {

std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace

void check(bool cond, const char* what) {
  if (cond) return;
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

void protocol_one_input(const uint8_t* data, size_t size) {
  auto line = as_text(data, size);
  if (auto request = protocol::parse_request(line)) {
    // A request the worker accepts must carry what the worker then relies on.
    check(!request->id.empty(), "accepted request without id");
    check(request->options.is_object(), "accepted request whose options are not an object");
    if (request->kind == "snapshot") (void)protocol::parse_snapshot_options(request->options);
  }
  if (auto envelope = protocol::parse_envelope(line)) {
    check(envelope->body.is_object(), "envelope body is not an object");
    (void)protocol::parse_pid_field(envelope->body);
  }
  if (auto json = protocol::parse_bounded_json(line)) {
    // dump() is what the worker writes back (error lines echo ids): it must take any parsed
    // value, invalid UTF-8 included, without throwing.
    (void)protocol::dump(*json);
    if (json->is_object()) (void)protocol::parse_snapshot_options(*json);
  }
}

void snapshot_wire_one_input(const uint8_t* data, size_t size) {
  // The JSON reader under it judges every document as nlohmann does, value for value. Except
  // for a NUL byte: nlohmann takes it for the end of the input (so `1<NUL>junk` is 1 to it);
  // in JSON it can be neither outside a string nor, unescaped, inside one.
  const auto text = as_text(data, size);
  auto ours = json_sax::parse_to_dom(text);
  if (text.find('\0') != std::string_view::npos) {
    check(!ours.has_value(), "json_sax accepted a document with a NUL byte");
  } else {
    auto theirs = nlohmann::json::parse(text, nullptr, false);
    check(ours.has_value() == !theirs.is_discarded(), "json_sax and nlohmann disagree on accepting a document");
    if (ours && !theirs.is_discarded()) check(ours->dump() == theirs.dump(), "json_sax and nlohmann read different values");
  }

  auto parsed = parse_snapshot_json(as_text(data, size));
  if (!parsed) {
    check(parsed.error().code == "bad_request", "snapshot parse error code is not bad_request");
    return;
  }
  // What we accept we can write, and what we write we accept again, unchanged.
  std::string first;
  append_snapshot_json(first, *parsed);
  auto again = parse_snapshot_json(first);
  check(again.ok(), "snapshot written by append_snapshot_json does not parse again");
  std::string second;
  append_snapshot_json(second, *again);
  check(first == second, "snapshot JSON does not round-trip");
}

void function_name_one_input(const uint8_t* data, size_t size) {
  auto text = as_text(data, size);
  auto normalized = coord::errors::normalize_function(text);
  check(normalized.size() <= coord::errors::kMaxNormalizedFunction, "normalized name over its bound");
  (void)coord::errors::message_shape(text);
  (void)coord::errors::error_class_of(text);
  // The same bytes as a stack: one frame per line, some with a module, some unmapped.
  std::vector<Frame> frames;
  size_t start = 0;
  while (start <= text.size() && frames.size() < 300) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    Frame f;
    f.pc = 0x1000 + frames.size();
    auto name = text.substr(start, end - start);
    if (!name.empty() && name.front() != '?') f.function = std::string(name);
    f.module = frames.size() % 3 == 2 ? "?" : "libfuzz.so";
    f.offset = frames.size() * 16;
    frames.push_back(std::move(f));
    start = end + 1;
  }
  auto signature = coord::errors::compute_signature("SIGSEGV/SEGV_MAPERR", text, "fuzz", frames);
  check(signature.hash.size() == 32, "signature hash is not 32 hex digits");
  check(signature.frames.size() <= coord::errors::kSignatureFrames, "signature keeps too many frames");
}

// Parsing with the stack memo (frames texts known from an earlier body are skipped by their
// raw bytes) must be indistinguishable from parsing without it: the same verdict, the same
// message, the same events, the skipped frames being the memo's.
void check_memo_parse_matches(std::string_view body, coord::errors::StackMemo& memo) {
  auto plain = coord::errors::parse_error_body(body);
  auto memoized = coord::errors::parse_error_body(body, &memo);
  check(plain.ok() == memoized.ok(), "the memo changed whether a body is accepted");
  if (!plain.ok()) {
    check(plain.error().message == memoized.error().message, "the memo changed an error message");
    return;
  }
  const auto& a = plain.value();
  const auto& b = memoized.value();
  check(a.events.size() == b.events.size() && b.known.size() == b.events.size(), "the memo changed the events");
  for (size_t i = 0; i < a.events.size(); ++i) {
    const auto& x = a.events[i];
    const auto& y = b.events[i];
    check(x.type == y.type && x.message == y.message && x.pid == y.pid && x.comm == y.comm &&
              x.timestamp_ms == y.timestamp_ms && x.context == y.context && a.frames_text[i] == b.frames_text[i],
          "the memo changed an event's fields");
    if (b.known[i]) {
      check(y.frames.empty(), "a skipped frames text left frames behind");
      check(b.known[i]->stack->frames_json == coord::errors::prepare_stack(x.frames)->frames_json,
            "the memo gave other frames than the text says");
    } else {
      check(x.frames.size() == y.frames.size(), "the memo changed parsed frames");
    }
  }
}

void error_event_one_input(const uint8_t* data, size_t size) {
  const std::string_view body = as_text(data, size);
  auto parsed = coord::errors::parse_error_body(body);
  if (!parsed) {
    check(parsed.error().code == "bad_request", "event parse error code is not bad_request");
    return;
  }
  auto& events = parsed.value().events;
  check(!events.empty() && events.size() <= coord::errors::kMaxEventsPerRequest, "event count out of bounds");
  coord::errors::StackMemo memo(64);
  for (size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    check(e.frames.size() <= coord::errors::kMaxFramesPerEvent, "event with too many frames");
    auto signature = coord::errors::compute_signature(e.type, e.message, e.comm, e.frames);
    check(signature.hash.size() == 32, "signature hash is not 32 hex digits");
    const auto text = parsed.value().frames_text[i];
    if (!text.empty() && !memo.find(text)) memo.put(text, coord::errors::prepare_stack(e.frames));
  }
  // The same body with its frames texts known, and cut short (a known text followed by
  // nothing, or by half an event, must still be refused with the same message).
  check_memo_parse_matches(body, memo);
  check_memo_parse_matches(body.substr(0, body.size() / 2), memo);
  check_memo_parse_matches(body.substr(0, body.size() - 1), memo);
}

}  // namespace dbg::fuzz
