#pragma once
// A strict JSON reader (RFC 8259) that drives an event handler, without building a DOM.
//
// Why not nlohmann::json::sax_parse: its lexer pulls the input one character at a time through
// an input adapter and grows every string by push_back; on the coordinator's hot path (a
// snapshot answer per target, ~5-20 KB each) that was a fifth of the coordinator's CPU. This
// reader copies runs of plain characters at once and never recurses (depth is the handler's to
// bound: it sees every start_object/start_array).
//
// What it accepts is exactly JSON: one value with optional surrounding whitespace; strings of
// well-formed UTF-8 with the standard escapes (\u surrogate pairs must pair); numbers by the
// JSON grammar. Integers that fit go to number_integer (negative) or number_unsigned, other
// numbers to number_float. tests/unit/json_sax_test.cpp checks it against nlohmann on valid
// and invalid documents, and the snapshot_wire fuzz target compares the two on random input.
//
// Handler: bool null(); bool boolean(bool); bool number_integer(int64_t);
// bool number_unsigned(uint64_t); bool number_float(double); bool string(std::string&);
// bool key(std::string&); bool start_object(); bool end_object(); bool start_array();
// bool end_array(). Returning false stops the parse (the handler keeps its own reason).
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dbg/utf8.hpp"

namespace dbg::json_sax {

struct Outcome {
  bool ok = false;
  bool stopped_by_handler = false;  // the handler returned false: its own error applies
  std::size_t error_position = 0;   // byte offset of a syntax error
};

namespace detail {

inline bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

inline void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Reader {
 public:
  explicit Reader(std::string_view text) : s_(text) {}

  std::size_t pos() const { return i_; }
  bool at_end() const { return i_ >= s_.size(); }
  char peek() const { return s_[i_]; }
  void skip_space() {
    while (i_ < s_.size() && is_space(s_[i_])) ++i_;
  }
  bool consume(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }

  // After the opening quote; leaves i_ after the closing one. false: malformed (i_ at the fault).
  bool string(std::string& out) {
    out.clear();
    for (;;) {
      std::size_t run = i_;
      while (run < s_.size()) {
        const auto c = static_cast<unsigned char>(s_[run]);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        ++run;
      }
      out.append(s_.data() + i_, run - i_);
      i_ = run;
      if (i_ >= s_.size()) return false;
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return false;  // control characters must be escaped
      if (c >= 0x80) {
        std::size_t len = utf8_sequence_length(s_, i_);
        if (len == 0) return false;
        out.append(s_.data() + i_, len);
        i_ += len;
        continue;
      }
      if (!escape(out)) return false;
    }
  }

  enum class Number { integer, unsigned_integer, real, malformed };
  // At '-' or a digit. Leaves i_ after the number.
  Number number(int64_t& i, uint64_t& u, double& d) {
    const std::size_t start = i_;
    bool negative = consume('-');
    if (i_ >= s_.size() || !is_digit(s_[i_])) return Number::malformed;
    if (s_[i_] == '0') {
      ++i_;
    } else {
      while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
    }
    bool real = false;
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (i_ >= s_.size() || !is_digit(s_[i_])) return Number::malformed;
      while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
      real = true;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (i_ >= s_.size() || !is_digit(s_[i_])) return Number::malformed;
      while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
      real = true;
    }
    const char* first = s_.data() + start;
    const char* last = s_.data() + i_;
    if (!real) {
      if (negative) {
        if (auto [p, ec] = std::from_chars(first, last, i); ec == std::errc{} && p == last) return Number::integer;
      } else {
        if (auto [p, ec] = std::from_chars(first, last, u); ec == std::errc{} && p == last) return Number::unsigned_integer;
      }
      // Out of the 64-bit range: a real number, as other JSON readers do.
    }
    auto [p, ec] = std::from_chars(first, last, d);
    if (ec == std::errc::result_out_of_range && p == last) {
      // from_chars reports underflow too (1e-400); only overflow is an error, as it has no
      // JSON value. strtod tells them apart: it rounds an underflow to 0 or a subnormal.
      std::string copy(first, last);
      d = std::strtod(copy.c_str(), nullptr);
      return std::isinf(d) ? Number::malformed : Number::real;
    }
    if (ec != std::errc{} || p != last) return Number::malformed;
    return Number::real;
  }

 private:
  bool hex4(uint32_t& out) {
    if (s_.size() - i_ < 4) return false;
    out = 0;
    for (int k = 0; k < 4; ++k) {
      int v = hex_value(s_[i_ + static_cast<std::size_t>(k)]);
      if (v < 0) return false;
      out = (out << 4) | static_cast<uint32_t>(v);
    }
    i_ += 4;
    return true;
  }

  // At the backslash.
  bool escape(std::string& out) {
    ++i_;
    if (i_ >= s_.size()) return false;
    char e = s_[i_++];
    switch (e) {
      case '"': out += '"'; return true;
      case '\\': out += '\\'; return true;
      case '/': out += '/'; return true;
      case 'b': out += '\b'; return true;
      case 'f': out += '\f'; return true;
      case 'n': out += '\n'; return true;
      case 'r': out += '\r'; return true;
      case 't': out += '\t'; return true;
      case 'u': {
        uint32_t cp = 0;
        if (!hex4(cp)) return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a low surrogate alone
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t low = 0;
          if (!literal("\\u") || !hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        append_utf8(out, cp);
        return true;
      }
      default: return false;
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace detail

template <typename Handler>
Outcome parse(std::string_view text, Handler& handler) {
  detail::Reader r(text);
  // What encloses the value being read: true for an object. An explicit stack, so that a deep
  // document costs memory the handler bounds, never native stack.
  std::vector<bool> open;
  std::string buffer;
  Outcome outcome;
  auto syntax_error = [&] {
    outcome.error_position = r.pos();
    return outcome;
  };
  auto stopped = [&] {
    outcome.stopped_by_handler = true;
    outcome.error_position = r.pos();
    return outcome;
  };

  for (;;) {
    // A value.
    r.skip_space();
    if (r.at_end()) return syntax_error();
    char c = r.peek();
    if (c == '{' || c == '[') {
      r.consume(c);
      bool object = c == '{';
      if (!(object ? handler.start_object() : handler.start_array())) return stopped();
      r.skip_space();
      if (r.consume(object ? '}' : ']')) {
        if (!(object ? handler.end_object() : handler.end_array())) return stopped();
      } else {
        open.push_back(object);
        if (object) {
          if (!r.consume('"') || !r.string(buffer)) return syntax_error();
          r.skip_space();
          if (!r.consume(':')) return syntax_error();
          if (!handler.key(buffer)) return stopped();
        }
        continue;  // the first member's or element's value
      }
    } else if (c == '"') {
      r.consume('"');
      if (!r.string(buffer)) return syntax_error();
      if (!handler.string(buffer)) return stopped();
    } else if (c == '-' || detail::is_digit(c)) {
      int64_t i = 0;
      uint64_t u = 0;
      double d = 0;
      switch (r.number(i, u, d)) {
        case detail::Reader::Number::integer:
          if (!handler.number_integer(i)) return stopped();
          break;
        case detail::Reader::Number::unsigned_integer:
          if (!handler.number_unsigned(u)) return stopped();
          break;
        case detail::Reader::Number::real:
          if (!handler.number_float(d)) return stopped();
          break;
        case detail::Reader::Number::malformed: return syntax_error();
      }
    } else if (r.literal("true")) {
      if (!handler.boolean(true)) return stopped();
    } else if (r.literal("false")) {
      if (!handler.boolean(false)) return stopped();
    } else if (r.literal("null")) {
      if (!handler.null()) return stopped();
    } else {
      return syntax_error();
    }

    // After a value: close containers, or go on to the next member or element.
    for (;;) {
      r.skip_space();
      if (open.empty()) {
        if (!r.at_end()) return syntax_error();  // one document, nothing after it
        outcome.ok = true;
        return outcome;
      }
      bool object = open.back();
      if (r.consume(',')) {
        r.skip_space();
        if (object) {
          if (!r.consume('"') || !r.string(buffer)) return syntax_error();
          r.skip_space();
          if (!r.consume(':')) return syntax_error();
          if (!handler.key(buffer)) return stopped();
        }
        break;  // the next value
      }
      if (!r.consume(object ? '}' : ']')) return syntax_error();
      open.pop_back();
      if (!(object ? handler.end_object() : handler.end_array())) return stopped();
    }
  }
}

}  // namespace dbg::json_sax
