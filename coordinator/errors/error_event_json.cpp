#include "coordinator/errors/error_event_json.hpp"

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "dbg/protocol.hpp"

namespace dbg::coord::errors {

namespace {

// Parses the body with nlohmann's SAX interface straight into ErrorEvents. Why not the DOM: a
// batch of 1,000 events is ~700 KB, and building (then walking, then freeing) a tree of map
// nodes for it cost more than grouping and storing the events. Only "context" objects, which
// are stored as they are, become nlohmann values.
//
// Every callback returns false to stop at the first error; `error_` then says what and where.
class EventsSax {
 public:
  using json = nlohmann::json;

  bool null() { return scalar(Scalar{Scalar::kNull}); }
  bool boolean(bool v) {
    Scalar s{Scalar::kBool};
    s.b = v;
    return scalar(s);
  }
  bool number_integer(json::number_integer_t v) {
    Scalar s{Scalar::kInt};
    s.i = v;
    return scalar(s);
  }
  bool number_unsigned(json::number_unsigned_t v) {
    Scalar s{Scalar::kUnsigned};
    s.u = v;
    return scalar(s);
  }
  bool number_float(json::number_float_t v, const json::string_t&) {
    Scalar s{Scalar::kFloat};
    s.f = v;
    return scalar(s);
  }
  bool string(json::string_t& v) {
    Scalar s{Scalar::kString};
    s.s = &v;
    return scalar(s);
  }
  bool binary(json::binary_t&) { return fail("body", "binary values are not JSON"); }

  bool start_object(std::size_t) {
    if (++depth_ > protocol::kMaxJsonDepth) return too_deep();
    switch (state_) {
      case State::kStart:
        state_ = State::kTop;
        return true;
      case State::kEvents:
        if (events_.size() == kMaxEventsPerRequest) {
          return fail("events", "at most " + std::to_string(kMaxEventsPerRequest) + " events per request");
        }
        events_.emplace_back();
        init_event();
        seen_ = 0;
        state_ = State::kEvent;
        return true;
      case State::kFrames:
        if (event().frames.size() == kMaxFramesPerEvent) {
          return fail(event_path() + ".frames", "more than " + std::to_string(kMaxFramesPerEvent) + " frames");
        }
        event().frames.emplace_back();
        frame_seen_ = 0;
        state_ = State::kFrame;
        return true;
      case State::kTop:
      case State::kEvent:
        if (field_ == Field::kContext) return start_context(json::object());
        return wrong_type();
      case State::kFrame:
        return wrong_type();
      case State::kContext:
        return push_context(json::object());
      case State::kDone:
        break;
    }
    return fail("body", "unexpected object");
  }

  bool end_object() {
    --depth_;
    switch (state_) {
      case State::kTop:
        if (mode_ == Mode::kBatch) {
          state_ = State::kDone;
          return true;
        }
        // A single event: the top object is the event.
        if (mode_ == Mode::kUndecided) {
          events_.emplace_back();
          init_event();
        }
        if (!(seen_ & bit(Field::kType))) return fail("body", "\"type\" is required");
        state_ = State::kDone;
        return true;
      case State::kEvent:
        if (!(seen_ & bit(Field::kType))) return fail(event_path(), "\"type\" is required");
        state_ = State::kEvents;
        return true;
      case State::kFrame:
        state_ = State::kFrames;
        return true;
      case State::kContext:
        return pop_context();
      default:
        return fail("body", "unexpected end of object");
    }
  }

  bool start_array(std::size_t) {
    if (++depth_ > protocol::kMaxJsonDepth) return too_deep();
    switch (state_) {
      case State::kTop:
        if (field_ == Field::kEvents) {
          state_ = State::kEvents;
          return true;
        }
        [[fallthrough]];
      case State::kEvent:
        if (field_ == Field::kFrames) {
          frames_return_ = state_;
          state_ = State::kFrames;
          return true;
        }
        return wrong_type();
      case State::kContext:
        return push_context(json::array());
      case State::kStart:
        return fail("body", "the body must be an event object or {\"events\":[…]}");
      case State::kEvents:
        return fail(event_path_at(events_.size()), "an event must be an object");
      case State::kFrames:
        return fail(frame_path_at(event().frames.size()), "a frame must be an object");
      default:
        return wrong_type();
    }
  }

  bool end_array() {
    --depth_;
    switch (state_) {
      case State::kEvents:
        if (events_.empty()) return fail("events", "must be a non-empty array");
        state_ = State::kTop;
        field_ = Field::kNone;
        return true;
      case State::kFrames:
        state_ = frames_return_;
        field_ = Field::kNone;
        return true;
      case State::kContext:
        return pop_context();
      default:
        return fail("body", "unexpected end of array");
    }
  }

  bool key(json::string_t& k) {
    switch (state_) {
      case State::kTop:
        if (k == "events") {
          if (mode_ != Mode::kUndecided) return fail("body", "a batch is {\"events\":[…]} and nothing else");
          mode_ = Mode::kBatch;
          field_ = Field::kEvents;
          return true;
        }
        if (mode_ == Mode::kBatch) return fail("body", "a batch is {\"events\":[…]} and nothing else");
        if (mode_ == Mode::kUndecided) {
          mode_ = Mode::kSingle;
          events_.emplace_back();
          init_event();
          seen_ = 0;
        }
        return event_key(k);
      case State::kEvent:
        return event_key(k);
      case State::kFrame:
        return frame_key(k);
      case State::kContext:
        pending_key_ = k;
        return true;
      default:
        return fail("body", "unexpected key");
    }
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception&) {
    if (!error_) error_ = "malformed JSON (at byte " + std::to_string(position) + ")";
    return false;
  }

  std::optional<std::string>& error() { return error_; }
  std::vector<ErrorEvent>& events() { return events_; }
  bool complete() const { return state_ == State::kDone; }

 private:
  enum class State { kStart, kTop, kEvents, kEvent, kFrames, kFrame, kContext, kDone };
  enum class Mode { kUndecided, kSingle, kBatch };
  enum class Field { kNone, kType, kMessage, kFrames, kTimestamp, kPid, kComm, kContext, kEvents,
                     kFunction, kModule, kOffset, kFile, kLine, kPc, kInlined };
  struct Scalar {
    enum Kind { kNull, kBool, kInt, kUnsigned, kFloat, kString } kind;
    bool b = false;
    int64_t i = 0;
    uint64_t u = 0;
    double f = 0;
    std::string* s = nullptr;
    bool is_integer() const { return kind == kInt || kind == kUnsigned; }
    // The integer as int64 when it fits, else nullopt (or when not an integer at all).
    std::optional<int64_t> as_int() const {
      if (kind == kInt) return i;
      if (kind == kUnsigned && u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        return static_cast<int64_t>(u);
      return std::nullopt;
    }
    json to_json() const {
      switch (kind) {
        case kNull: return nullptr;
        case kBool: return b;
        case kInt: return i;
        case kUnsigned: return u;
        case kFloat: return f;
        case kString: return std::move(*s);
      }
      return nullptr;
    }
  };

  static uint32_t bit(Field f) { return 1u << static_cast<unsigned>(f); }

  ErrorEvent& event() { return events_.back(); }
  Frame& frame() { return event().frames.back(); }
  void init_event() {
    event().source = "api";
    event().kind = "reported";
  }
  std::string event_path_at(std::size_t i) const {
    return mode_ == Mode::kBatch ? "events[" + std::to_string(i) + "]" : std::string("body");
  }
  std::string event_path() const { return event_path_at(events_.empty() ? 0 : events_.size() - 1); }
  std::string frame_path_at(std::size_t j) const { return event_path() + ".frames[" + std::to_string(j) + "]"; }
  std::string field_path() const {
    if (state_ == State::kFrame) return frame_path_at(events_.back().frames.size() - 1) + "." + field_name_;
    return event_path() + "." + field_name_;
  }

  bool fail(const std::string& where, const std::string& what) {
    if (!error_) error_ = where + ": " + what;
    return false;
  }
  bool too_deep() { return fail("body", "JSON nested deeper than " + std::to_string(protocol::kMaxJsonDepth) + " levels"); }
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
      case Field::kEvents: return fail("events", "must be a non-empty array");
      case Field::kOffset:
      case Field::kPc: return fail(field_path(), "must be a non-negative integer or a hex string like \"0x1a2b\"");
      case Field::kLine: return fail(field_path(), "must be a non-negative integer or null");
      case Field::kInlined: return fail(field_path(), "must be a boolean");
      case Field::kNone: break;
    }
    return fail("body", "unexpected value");
  }

  bool event_key(const std::string& k) {
    static const std::pair<const char*, Field> kFields[] = {
        {"type", Field::kType}, {"message", Field::kMessage}, {"frames", Field::kFrames},  {"timestamp", Field::kTimestamp},
        {"pid", Field::kPid},   {"comm", Field::kComm},       {"context", Field::kContext}};
    for (const auto& [name, f] : kFields) {
      if (k == name) {
        if (seen_ & bit(f)) return fail(event_path(), "field \"" + k + "\" given twice");
        seen_ |= bit(f);
        field_ = f;
        field_name_ = k;
        return true;
      }
    }
    return fail(event_path(), "unknown field \"" + k + "\" (type, message, frames, timestamp, pid, comm, context)");
  }

  bool frame_key(const std::string& k) {
    static const std::pair<const char*, Field> kFields[] = {
        {"function", Field::kFunction}, {"module", Field::kModule}, {"offset", Field::kOffset}, {"file", Field::kFile},
        {"line", Field::kLine},         {"pc", Field::kPc},         {"inlined", Field::kInlined}};
    for (const auto& [name, f] : kFields) {
      if (k == name) {
        if (frame_seen_ & bit(f)) {
          return fail(frame_path_at(event().frames.size() - 1), "field \"" + k + "\" given twice");
        }
        frame_seen_ |= bit(f);
        field_ = f;
        field_name_ = k;
        return true;
      }
    }
    return fail(frame_path_at(event().frames.size() - 1),
                "unknown field \"" + k + "\" (function, module, offset, file, line, pc, inlined)");
  }

  // A string of at most max bytes, moved out of the parser's buffer.
  bool take_string(const Scalar& v, std::string& out, std::size_t max) {
    if (v.kind != Scalar::kString) return wrong_type();
    if (v.s->size() > max) return fail(field_path(), "longer than " + std::to_string(max) + " bytes");
    out = std::move(*v.s);
    return true;
  }

  bool take_address(const Scalar& v, uint64_t& out) {
    if (v.kind == Scalar::kUnsigned) {
      out = v.u;
      return true;
    }
    if (v.kind == Scalar::kInt) {
      if (v.i < 0) return fail(field_path(), "must not be negative");
      out = static_cast<uint64_t>(v.i);
      return true;
    }
    if (v.kind == Scalar::kString) {
      const std::string& s = *v.s;
      if (s.size() > 2 && s.size() <= 18 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        auto [end, ec] = std::from_chars(s.data() + 2, s.data() + s.size(), out, 16);
        if (ec == std::errc() && end == s.data() + s.size()) return true;
      }
    }
    return wrong_type();
  }

  bool scalar(const Scalar& v) {
    switch (state_) {
      case State::kContext:
        return add_context(v.to_json());
      case State::kTop:
      case State::kEvent:
        return event_value(v);
      case State::kFrame:
        return frame_value(v);
      case State::kStart:
        return fail("body", "the body must be an event object or {\"events\":[…]}");
      case State::kEvents:
        return fail(event_path_at(events_.size()), "an event must be an object");
      case State::kFrames:
        return fail(frame_path_at(event().frames.size()), "a frame must be an object");
      default:
        return fail("body", "unexpected value");
    }
  }

  bool event_value(const Scalar& v) {
    // {"events": "x"}: the batch key with a scalar, and no event exists yet.
    if (events_.empty() || field_ == Field::kEvents) return wrong_type();
    ErrorEvent& e = event();
    switch (field_) {
      case Field::kType:
        if (!take_string(v, e.type, kMaxTypeChars)) return false;
        if (e.type.empty()) return fail(field_path(), "must not be empty");
        return true;
      case Field::kMessage:
        // Longer messages are cut by the service (to kMaxMessageChars), as the watch's are.
        if (v.kind != Scalar::kString) return wrong_type();
        e.message = std::move(*v.s);
        return true;
      case Field::kComm:
        return take_string(v, e.comm, kMaxNameBytes);
      case Field::kTimestamp: {
        auto i = v.as_int();
        if (!i || *i < 0) return wrong_type();
        e.timestamp_ms = *i;
        return true;
      }
      case Field::kPid: {
        auto i = v.as_int();
        if (!i || *i < 0 || *i > std::numeric_limits<int32_t>::max()) return wrong_type();
        e.pid = static_cast<int>(*i);
        return true;
      }
      default:
        return wrong_type();
    }
  }

  bool frame_value(const Scalar& v) {
    Frame& f = frame();
    switch (field_) {
      case Field::kFunction:
      case Field::kFile: {
        std::optional<std::string>& out = field_ == Field::kFunction ? f.function : f.file;
        if (v.kind == Scalar::kNull) return true;
        std::string s;
        if (!take_string(v, s, kMaxNameBytes)) return false;
        out = std::move(s);
        return true;
      }
      case Field::kModule:
        return take_string(v, f.module, kMaxNameBytes);
      case Field::kOffset:
        return take_address(v, f.offset);
      case Field::kPc:
        return take_address(v, f.pc);
      case Field::kLine: {
        if (v.kind == Scalar::kNull) return true;
        auto i = v.as_int();
        if (!i || *i < 0 || *i > std::numeric_limits<int>::max()) return wrong_type();
        f.line = static_cast<int>(*i);
        return true;
      }
      case Field::kInlined:
        if (v.kind != Scalar::kBool) return wrong_type();
        f.inlined = v.b;
        return true;
      default:
        return wrong_type();
    }
  }

  // "context": a tree built as it comes; context_stack_ holds the open containers.
  bool start_context(json root) {
    event().context = std::move(root);
    context_stack_.clear();
    context_stack_.push_back(&event().context);
    context_return_ = state_;
    state_ = State::kContext;
    return true;
  }
  json* add_to_current(json value) {
    json& parent = *context_stack_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    json& slot = parent[pending_key_];
    slot = std::move(value);
    return &slot;
  }
  bool add_context(json value) {
    add_to_current(std::move(value));
    return true;
  }
  bool push_context(json container) {
    context_stack_.push_back(add_to_current(std::move(container)));
    return true;
  }
  bool pop_context() {
    context_stack_.pop_back();
    if (context_stack_.empty()) {
      state_ = context_return_;
      field_ = Field::kNone;
    }
    return true;
  }

  State state_ = State::kStart;
  State frames_return_ = State::kEvent;
  State context_return_ = State::kEvent;
  Mode mode_ = Mode::kUndecided;
  Field field_ = Field::kNone;
  std::string field_name_;
  uint32_t seen_ = 0;
  uint32_t frame_seen_ = 0;
  int depth_ = 0;
  std::vector<ErrorEvent> events_;
  std::vector<json*> context_stack_;
  std::string pending_key_;
  std::optional<std::string> error_;
};

}  // namespace

Result<std::vector<ErrorEvent>> parse_error_events(std::string_view body) {
  EventsSax sax;
  const bool ok = nlohmann::json::sax_parse(body.begin(), body.end(), &sax, nlohmann::json::input_format_t::json, true);
  if (!ok || !sax.complete()) {
    return Error{"bad_request", sax.error().value_or("malformed JSON")};
  }
  return std::move(sax.events());
}

}  // namespace dbg::coord::errors
