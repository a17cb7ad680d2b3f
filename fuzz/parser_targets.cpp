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

void error_event_one_input(const uint8_t* data, size_t size) {
  auto events = coord::errors::parse_error_events(as_text(data, size));
  if (!events) {
    check(events.error().code == "bad_request", "event parse error code is not bad_request");
    return;
  }
  check(!events->empty() && events->size() <= coord::errors::kMaxEventsPerRequest, "event count out of bounds");
  for (const auto& e : *events) {
    check(e.frames.size() <= coord::errors::kMaxFramesPerEvent, "event with too many frames");
    auto signature = coord::errors::compute_signature(e.type, e.message, e.comm, e.frames);
    check(signature.hash.size() == 32, "signature hash is not 32 hex digits");
  }
}

}  // namespace dbg::fuzz
