#include "coordinator/errors/error_event_json.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "dbg/json_cursor.hpp"
#include "dbg/protocol.hpp"

namespace dbg::coord::errors {

namespace {

// Recursive descent over the body's schema (error_event_json.hpp) on a JsonCursor: each value
// is read by the code that knows what it must be, straight into the ErrorEvent. Only "context"
// objects, stored as they are, become nlohmann trees.
//
// Which error wins matches the nlohmann SAX parser this replaced: a scalar token is lexed whole
// before its type is judged (so a broken string is "malformed JSON", not "must be a number"),
// a container is judged when it opens, and the first problem in reading order is reported.
// Every function returns false at the first error; error_ (or the cursor's) says what.
class BodyParser {
 public:
  BodyParser(std::string_view body, StackMemo* memo) : cur_(body), body_size_(body.size()), memo_(memo) {}

  Result<ParsedEvents> parse() {
    if (!parse_body() || !cur_.at_end()) return Error{"bad_request", message()};
    return std::move(out_);
  }

 private:
  // For reserving: a small real event ({"type","message", a few frames}) is ~250 bytes.
  static constexpr std::size_t kTypicalEventBytes = 256;

  enum class Mode { kUndecided, kSingle, kBatch };
  enum class Field { kNone, kType, kMessage, kFrames, kTimestamp, kPid, kComm, kContext,
                     kFunction, kModule, kOffset, kFile, kLine, kPc, kInlined };
  struct FieldName {
    std::string_view name;
    Field field;
  };
  static constexpr FieldName kEventFields[] = {{"type", Field::kType},   {"message", Field::kMessage},
                                               {"frames", Field::kFrames}, {"timestamp", Field::kTimestamp},
                                               {"pid", Field::kPid},     {"comm", Field::kComm},
                                               {"context", Field::kContext}};
  static constexpr FieldName kFrameFields[] = {{"function", Field::kFunction}, {"module", Field::kModule},
                                               {"offset", Field::kOffset},     {"file", Field::kFile},
                                               {"line", Field::kLine},         {"pc", Field::kPc},
                                               {"inlined", Field::kInlined}};
  static uint32_t bit(Field f) { return 1u << static_cast<unsigned>(f); }

  std::string message() const {
    if (error_) return *error_;
    if (cur_.depth_exceeded()) {
      return "body: JSON nested deeper than " + std::to_string(protocol::kMaxJsonDepth) + " levels";
    }
    if (cur_.failed()) {
      return "malformed JSON (at byte " + std::to_string(cur_.error_position()) + ": " + cur_.error() + ")";
    }
    return "malformed JSON";
  }

  bool fail(const std::string& where, const std::string& what) {
    if (!error_) error_ = where + ": " + what;
    return false;
  }

  // Where we are, for messages.
  std::string event_path_at(std::size_t i) const {
    return mode_ == Mode::kBatch ? "events[" + std::to_string(i) + "]" : std::string("body");
  }
  std::string event_path() const { return event_path_at(out_.events.empty() ? 0 : out_.events.size() - 1); }
  std::string frame_path_at(std::size_t j) const { return event_path() + ".frames[" + std::to_string(j) + "]"; }
  std::string field_path() const {
    if (in_frame_) return frame_path_at(out_.events.back().frames.size() - 1) + "." + std::string(field_name_);
    return event_path() + "." + std::string(field_name_);
  }

  bool wrong_type() {
    switch (field_) {
      case Field::kType:
      case Field::kMessage:
      case Field::kComm:
      case Field::kModule: return fail(field_path(), "must be a string");
      case Field::kFunction:
      case Field::kFile: return fail(field_path(), "must be a string or null");
      case Field::kFrames: return fail(field_path(), "must be an array of frames");
      case Field::kTimestamp: return fail(field_path(), "must be a non-negative integer (unix ms)");
      case Field::kPid: return fail(field_path(), "must be a non-negative integer");
      case Field::kContext: return fail(field_path(), "must be an object");
      case Field::kOffset:
      case Field::kPc: return fail(field_path(), "must be a non-negative integer or a hex string like \"0x1a2b\"");
      case Field::kLine: return fail(field_path(), "must be a non-negative integer or null");
      case Field::kInlined: return fail(field_path(), "must be a boolean");
      case Field::kNone: break;
    }
    return fail("body", "unexpected value");
  }

  bool is_container(char c) const { return c == '{' || c == '['; }

  // A value that cannot be right here: a container is refused as it opens, a scalar once lexed.
  bool refuse(const std::string& where, const std::string& what) {
    JsonScalar ignored;
    if (!is_container(cur_.peek()) && !cur_.read_scalar(ignored)) return false;
    return fail(where, what);
  }

  ErrorEvent& new_event() {
    ErrorEvent& e = out_.events.emplace_back();
    out_.frames_text.emplace_back();
    out_.known.push_back(nullptr);
    e.source = "api";
    e.kind = "reported";
    seen_ = 0;
    return e;
  }

  bool parse_body() {
    const char c = cur_.peek();
    if (c != '{') {
      if (cur_.position() >= cur_.size()) return cur_.fail("unexpected end of input");
      return refuse("body", "the body must be an event object or {\"events\":[…]}");
    }
    cur_.expect('{');
    depth_ = 1;
    if (!cur_.consume('}')) {
      for (bool more = true; more;) {
        if (!cur_.read_key(key_)) return false;
        if (key_ == "events") {
          if (mode_ != Mode::kUndecided) return fail("body", "a batch is {\"events\":[…]} and nothing else");
          mode_ = Mode::kBatch;
          if (!parse_events()) return false;
        } else {
          if (mode_ == Mode::kBatch) return fail("body", "a batch is {\"events\":[…]} and nothing else");
          if (mode_ == Mode::kUndecided) {
            mode_ = Mode::kSingle;
            new_event();
          }
          if (!event_member()) return false;
        }
        if (!cur_.next_member('}', more)) return false;
      }
    }
    if (mode_ == Mode::kBatch) return true;
    if (mode_ == Mode::kUndecided) new_event();  // {}: an event without its type
    if (!(seen_ & bit(Field::kType))) return fail("body", "\"type\" is required");
    return true;
  }

  bool parse_events() {
    if (cur_.peek() != '[') return refuse("events", "must be a non-empty array");
    cur_.expect('[');
    depth_ = 2;
    if (cur_.consume(']')) return fail("events", "must be a non-empty array");
    // Room for the events a body this size can hold (no event takes fewer than ~16 bytes; the
    // usual ones several hundred): growing a vector of 1,000 events would allocate ten times,
    // the last few large blocks each.
    const std::size_t guess = std::min(kMaxEventsPerRequest, (body_size_ - cur_.position()) / kTypicalEventBytes + 1);
    out_.events.reserve(guess);
    out_.frames_text.reserve(guess);
    out_.known.reserve(guess);
    for (bool more = true; more;) {
      if (cur_.peek() != '{') return refuse(event_path_at(out_.events.size()), "an event must be an object");
      if (out_.events.size() == kMaxEventsPerRequest) {
        return fail("events", "at most " + std::to_string(kMaxEventsPerRequest) + " events per request");
      }
      if (!parse_event()) return false;
      if (!cur_.next_member(']', more)) return false;
    }
    depth_ = 1;
    return true;
  }

  // One object of a batch.
  bool parse_event() {
    cur_.expect('{');
    depth_ = 3;
    new_event();
    if (!cur_.consume('}')) {
      for (bool more = true; more;) {
        if (!cur_.read_key(key_) || !event_member()) return false;
        if (!cur_.next_member('}', more)) return false;
      }
    }
    if (!(seen_ & bit(Field::kType))) return fail(event_path(), "\"type\" is required");
    depth_ = 2;
    return true;
  }

  // key_ and its value, in the current event.
  bool event_member() {
    field_ = Field::kNone;
    for (const auto& [name, f] : kEventFields) {
      if (key_ == name) {
        if (seen_ & bit(f)) return fail(event_path(), "field \"" + key_ + "\" given twice");
        seen_ |= bit(f);
        field_ = f;
        field_name_ = name;
      }
    }
    if (field_ == Field::kNone) {
      return fail(event_path(), "unknown field \"" + key_ + "\" (type, message, frames, timestamp, pid, comm, context)");
    }
    in_frame_ = false;
    ErrorEvent& e = out_.events.back();
    const char c = cur_.peek();
    if (field_ == Field::kFrames && c == '[') return parse_frames(e);
    if (field_ == Field::kContext && c == '{') {
      // The context object is one level below the event object (depth_).
      return cur_.read_value(e.context, protocol::kMaxJsonDepth - depth_);
    }
    if (is_container(c)) return wrong_type();
    JsonScalar v;
    if (!cur_.read_scalar(v)) return false;
    switch (field_) {
      case Field::kType:
        if (!take_string(v, e.type, kMaxTypeChars)) return false;
        if (e.type.empty()) return fail(field_path(), "must not be empty");
        return true;
      case Field::kMessage:
        // Longer messages are cut by the service (to kMaxMessageChars), as the watch's are.
        if (v.kind != JsonScalar::kString) return wrong_type();
        e.message = std::move(*v.s);
        return true;
      case Field::kComm:
        return take_string(v, e.comm, kMaxNameBytes);
      case Field::kTimestamp: {
        auto i = as_int(v);
        if (!i || *i < 0) return wrong_type();
        e.timestamp_ms = *i;
        return true;
      }
      case Field::kPid: {
        auto i = as_int(v);
        if (!i || *i < 0 || *i > std::numeric_limits<int32_t>::max()) return wrong_type();
        e.pid = static_cast<int>(*i);
        return true;
      }
      default:
        return wrong_type();  // frames or context given a scalar
    }
  }

  bool parse_frames(ErrorEvent& e) {
    const std::size_t begin = cur_.position();
    if (memo_) {
      // A frames text parsed (and accepted) before is not parsed again: equal bytes, equal
      // frames. Any difference, down to a space, is a miss and is parsed below.
      const std::size_t end = cur_.raw_container_end();
      if (end != std::string_view::npos) {
        const std::string_view text = cur_.slice(begin, end);
        if (StackMemo::Entry* known = memo_->find(text)) {
          out_.frames_text.back() = text;
          out_.known.back() = known;
          cur_.skip_to(end);
          return true;
        }
      }
    }
    cur_.expect('[');
    depth_ += 1;
    if (!cur_.consume(']')) {
      e.frames.reserve(8);  // one allocation for a typical stack (growing to it would take four)
      for (bool more = true; more;) {
        if (cur_.peek() != '{') return refuse(frame_path_at(e.frames.size()), "a frame must be an object");
        if (e.frames.size() == kMaxFramesPerEvent) {
          return fail(event_path() + ".frames", "more than " + std::to_string(kMaxFramesPerEvent) + " frames");
        }
        if (!parse_frame(e.frames.emplace_back())) return false;
        if (!cur_.next_member(']', more)) return false;
      }
    }
    depth_ -= 1;
    out_.frames_text.back() = cur_.slice(begin, cur_.position());
    return true;
  }

  bool parse_frame(Frame& f) {
    cur_.expect('{');
    uint32_t seen = 0;
    if (cur_.consume('}')) return true;
    for (bool more = true; more;) {
      if (!cur_.read_key(key_)) return false;
      in_frame_ = true;
      field_ = Field::kNone;
      for (const auto& [name, field] : kFrameFields) {
        if (key_ == name) {
          if (seen & bit(field)) return fail(frame_path_at(out_.events.back().frames.size() - 1),
                                             "field \"" + key_ + "\" given twice");
          seen |= bit(field);
          field_ = field;
          field_name_ = name;
        }
      }
      if (field_ == Field::kNone) {
        return fail(frame_path_at(out_.events.back().frames.size() - 1),
                    "unknown field \"" + key_ + "\" (function, module, offset, file, line, pc, inlined)");
      }
      if (!frame_value(f)) return false;
      if (!cur_.next_member('}', more)) return false;
    }
    return true;
  }

  bool frame_value(Frame& f) {
    if (is_container(cur_.peek())) return wrong_type();
    JsonScalar v;
    if (!cur_.read_scalar(v)) return false;
    switch (field_) {
      case Field::kFunction:
      case Field::kFile: {
        if (v.kind == JsonScalar::kNull) return true;
        std::string s;
        if (!take_string(v, s, kMaxNameBytes)) return false;
        (field_ == Field::kFunction ? f.function : f.file) = std::move(s);
        return true;
      }
      case Field::kModule:
        return take_string(v, f.module, kMaxNameBytes);
      case Field::kOffset:
        return take_address(v, f.offset);
      case Field::kPc:
        return take_address(v, f.pc);
      case Field::kLine: {
        if (v.kind == JsonScalar::kNull) return true;
        auto i = as_int(v);
        if (!i || *i < 0 || *i > std::numeric_limits<int>::max()) return wrong_type();
        f.line = static_cast<int>(*i);
        return true;
      }
      case Field::kInlined:
        if (v.kind != JsonScalar::kBool) return wrong_type();
        f.inlined = v.b;
        return true;
      default:
        return wrong_type();
    }
  }

  // The integer as int64 when it is one and fits, else nullopt.
  static std::optional<int64_t> as_int(const JsonScalar& v) {
    if (v.kind == JsonScalar::kInt) return v.i;
    if (v.kind == JsonScalar::kUnsigned && v.u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return static_cast<int64_t>(v.u);
    }
    return std::nullopt;
  }

  // A string of at most max bytes, moved out of the cursor's scratch.
  bool take_string(const JsonScalar& v, std::string& out, std::size_t max) {
    if (v.kind != JsonScalar::kString) return wrong_type();
    if (v.s->size() > max) return fail(field_path(), "longer than " + std::to_string(max) + " bytes");
    out = std::move(*v.s);
    return true;
  }

  bool take_address(const JsonScalar& v, uint64_t& out) {
    if (v.kind == JsonScalar::kUnsigned) {
      out = v.u;
      return true;
    }
    if (v.kind == JsonScalar::kInt) {
      if (v.i < 0) return fail(field_path(), "must not be negative");
      out = static_cast<uint64_t>(v.i);
      return true;
    }
    if (v.kind == JsonScalar::kString) {
      const std::string& s = *v.s;
      if (s.size() > 2 && s.size() <= 18 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        auto [end, ec] = std::from_chars(s.data() + 2, s.data() + s.size(), out, 16);
        if (ec == std::errc() && end == s.data() + s.size()) return true;
      }
    }
    return wrong_type();
  }

  JsonCursor cur_;
  std::size_t body_size_;
  StackMemo* memo_;
  ParsedEvents out_;
  Mode mode_ = Mode::kUndecided;
  Field field_ = Field::kNone;
  std::string_view field_name_;
  bool in_frame_ = false;
  uint32_t seen_ = 0;  // fields of the current event
  int depth_ = 0;      // containers open around the current value (the top object is 1)
  std::string key_;
  std::optional<std::string> error_;
};

}  // namespace

Result<ParsedEvents> parse_error_body(std::string_view body, StackMemo* memo) { return BodyParser(body, memo).parse(); }

Result<std::vector<ErrorEvent>> parse_error_events(std::string_view body) {
  auto parsed = parse_error_body(body);
  if (!parsed) return parsed.error();
  return std::move(parsed.value().events);
}

}  // namespace dbg::coord::errors
