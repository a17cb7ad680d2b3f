#include "coordinator/errors/error_event_json.hpp"

#include <charconv>
#include <cstdint>
#include <limits>
#include <string>

#include "dbg/protocol.hpp"

namespace dbg::coord::errors {

namespace {

Error bad(const std::string& where, const std::string& what) { return Error{"bad_request", where + ": " + what}; }

// A string field of at most max bytes.
Result<std::string> string_field(const nlohmann::json& v, const std::string& where, std::size_t max) {
  if (!v.is_string()) return bad(where, "must be a string");
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() > max) return bad(where, "longer than " + std::to_string(max) + " bytes");
  return s;
}

// An address or ELF offset: a non-negative integer, or a hex string "0x1a2b" (the worker's form).
Result<uint64_t> address_field(const nlohmann::json& v, const std::string& where) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer()) {
    if (v.get<int64_t>() < 0) return bad(where, "must not be negative");
    return static_cast<uint64_t>(v.get<int64_t>());
  }
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s.size() > 2 && s.size() <= 18 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
      uint64_t value = 0;
      auto [end, ec] = std::from_chars(s.data() + 2, s.data() + s.size(), value, 16);
      if (ec == std::errc() && end == s.data() + s.size()) return value;
    }
  }
  return bad(where, "must be a non-negative integer or a hex string like \"0x1a2b\"");
}

Result<Frame> parse_frame(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) return bad(where, "a frame must be an object");
  Frame f;
  for (const auto& [key, v] : j.items()) {
    const std::string at = where + "." + key;
    if (key == "function" || key == "file") {
      std::optional<std::string>& out = key == "function" ? f.function : f.file;
      if (v.is_null()) continue;
      auto s = string_field(v, at, kMaxNameBytes);
      if (!s) return s.error();
      out = std::move(s.value());
    } else if (key == "module") {
      auto s = string_field(v, at, kMaxNameBytes);
      if (!s) return s.error();
      f.module = std::move(s.value());
    } else if (key == "offset" || key == "pc") {
      auto a = address_field(v, at);
      if (!a) return a.error();
      (key == "offset" ? f.offset : f.pc) = a.value();
    } else if (key == "line") {
      if (v.is_null()) continue;
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > std::numeric_limits<int>::max())
        return bad(at, "must be a non-negative integer or null");
      f.line = v.get<int>();
    } else if (key == "inlined") {
      if (!v.is_boolean()) return bad(at, "must be a boolean");
      f.inlined = v.get<bool>();
    } else {
      return bad(where, "unknown field \"" + key + "\" (function, module, offset, file, line, pc, inlined)");
    }
  }
  return f;
}

Result<ErrorEvent> parse_event(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) return bad(where, "an event must be an object");
  ErrorEvent e;
  e.source = "api";
  e.kind = "reported";
  bool have_type = false;
  for (const auto& [key, v] : j.items()) {
    const std::string at = where.empty() ? key : where + "." + key;
    if (key == "type") {
      auto s = string_field(v, at, kMaxTypeChars);
      if (!s) return s.error();
      if (s.value().empty()) return bad(at, "must not be empty");
      e.type = std::move(s.value());
      have_type = true;
    } else if (key == "message") {
      // Longer messages are cut by the service (to kMaxMessageChars), as the watch's are.
      if (!v.is_string()) return bad(at, "must be a string");
      e.message = v.get<std::string>();
    } else if (key == "frames") {
      if (!v.is_array()) return bad(at, "must be an array of frames");
      if (v.size() > kMaxFramesPerEvent) return bad(at, "more than " + std::to_string(kMaxFramesPerEvent) + " frames");
      e.frames.reserve(v.size());
      for (std::size_t i = 0; i < v.size(); ++i) {
        auto f = parse_frame(v[i], at + "[" + std::to_string(i) + "]");
        if (!f) return f.error();
        e.frames.push_back(std::move(f.value()));
      }
    } else if (key == "timestamp") {
      if (!v.is_number_integer() || v.get<int64_t>() < 0) return bad(at, "must be a non-negative integer (unix ms)");
      e.timestamp_ms = v.get<int64_t>();
    } else if (key == "pid") {
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > std::numeric_limits<int32_t>::max())
        return bad(at, "must be a non-negative integer");
      e.pid = v.get<int>();
    } else if (key == "comm") {
      auto s = string_field(v, at, kMaxNameBytes);
      if (!s) return s.error();
      e.comm = std::move(s.value());
    } else if (key == "context") {
      if (!v.is_object()) return bad(at, "must be an object");
      e.context = v;
    } else {
      return bad(where.empty() ? "body" : where,
                 "unknown field \"" + key + "\" (type, message, frames, timestamp, pid, comm, context)");
    }
  }
  if (!have_type) return bad(where.empty() ? "body" : where, "\"type\" is required");
  return e;
}

}  // namespace

Result<std::vector<ErrorEvent>> parse_error_events(std::string_view body) {
  auto parsed = protocol::parse_bounded_json(body);
  if (!parsed) return Error{"bad_request", parsed.error().message};
  const nlohmann::json& j = parsed.value();
  if (!j.is_object()) return Error{"bad_request", "the body must be an event object or {\"events\":[…]}"};
  std::vector<ErrorEvent> out;
  if (!j.contains("events")) {
    auto e = parse_event(j, "");
    if (!e) return e.error();
    out.push_back(std::move(e.value()));
    return out;
  }
  if (j.size() != 1) return Error{"bad_request", "a batch is {\"events\":[…]} and nothing else"};
  const auto& events = j.at("events");
  if (!events.is_array() || events.empty()) return Error{"bad_request", "\"events\" must be a non-empty array"};
  if (events.size() > kMaxEventsPerRequest) {
    return Error{"bad_request", "at most " + std::to_string(kMaxEventsPerRequest) + " events per request, got " +
                                    std::to_string(events.size())};
  }
  out.reserve(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    auto e = parse_event(events[i], "events[" + std::to_string(i) + "]");
    if (!e) return e.error();
    out.push_back(std::move(e.value()));
  }
  return out;
}

}  // namespace dbg::coord::errors
