#include "dbg/json_cursor.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <system_error>

namespace dbg {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

void append_utf8(std::string& out, uint32_t cp) {
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

}  // namespace

bool JsonCursor::fail(std::string_view what) {
  if (error_.empty()) {
    error_ = what.empty() ? std::string("invalid input") : std::string(what);
    error_pos_ = pos_;
  }
  return false;
}

void JsonCursor::skip_ws() {
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return;
    ++pos_;
  }
}

char JsonCursor::peek() {
  skip_ws();
  return pos_ < text_.size() ? text_[pos_] : '\0';
}

bool JsonCursor::consume(char c) {
  if (peek() != c || pos_ >= text_.size()) return false;
  ++pos_;
  return true;
}

bool JsonCursor::expect(char c) {
  if (consume(c)) return true;
  if (pos_ >= text_.size()) return fail("unexpected end of input");
  return fail(std::string("expected '") + c + "'");
}

bool JsonCursor::next_member(char close, bool& more) {
  const char c = peek();
  if (pos_ < text_.size() && (c == ',' || c == close)) {
    ++pos_;
    more = c == ',';
    return true;
  }
  if (pos_ >= text_.size()) return fail("unexpected end of input");
  return fail(std::string("expected ',' or '") + close + "'");
}

bool JsonCursor::at_end() {
  skip_ws();
  return pos_ == text_.size() || fail("unexpected data after the JSON value");
}

std::size_t JsonCursor::raw_container_end() {
  const char open = peek();
  if (open != '[' && open != '{') return std::string_view::npos;
  const char* p = text_.data() + pos_;
  const char* const end = text_.data() + text_.size();
  std::size_t depth = 0;
  while (p < end) {
    // Only quotes, backslashes and brackets matter.
    switch (*p) {
      case '"':
        for (++p; p < end && *p != '"'; ++p) {
          // The escaped byte cannot end the string.
          if (*p == '\\' && ++p == end) return std::string_view::npos;
        }
        if (p == end) return std::string_view::npos;  // unterminated string
        break;
      case '[':
      case '{': ++depth; break;
      case ']':
      case '}':
        if (--depth == 0) return static_cast<std::size_t>(p + 1 - text_.data());
        break;
      default: break;
    }
    ++p;
  }
  return std::string_view::npos;
}

bool JsonCursor::validate_utf8() {
  const auto byte = [&](std::size_t i) -> unsigned {
    return pos_ + i < text_.size() ? static_cast<unsigned char>(text_[pos_ + i]) : 0u;
  };
  const unsigned lead = byte(0);
  // The second byte's range depends on the lead (RFC 3629: no overlong forms, no UTF-16
  // surrogates, nothing above U+10FFFF); later continuation bytes are always 80..BF.
  unsigned lo = 0x80, hi = 0xBF;
  std::size_t length = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead == 0xE0) {
    length = 3, lo = 0xA0;
  } else if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF) {
    length = 3;
  } else if (lead == 0xED) {
    length = 3, hi = 0x9F;
  } else if (lead == 0xF0) {
    length = 4, lo = 0x90;
  } else if (lead >= 0xF1 && lead <= 0xF3) {
    length = 4;
  } else if (lead == 0xF4) {
    length = 4, hi = 0x8F;
  } else {
    return fail("invalid UTF-8 in a string");
  }
  if (byte(1) < lo || byte(1) > hi) return fail("invalid UTF-8 in a string");
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return fail("invalid UTF-8 in a string");
  }
  pos_ += length;
  return true;
}

bool JsonCursor::read_hex4(uint32_t& out) {
  if (text_.size() - pos_ < 4) return fail("incomplete \\u escape");
  out = 0;
  for (int k = 0; k < 4; ++k) {
    const char c = text_[pos_++];
    uint32_t digit;
    if (c >= '0' && c <= '9') {
      digit = static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<uint32_t>(c - 'A' + 10);
    } else {
      --pos_;
      return fail("invalid \\u escape");
    }
    out = out << 4 | digit;
  }
  return true;
}

bool JsonCursor::read_escape(std::string& out) {
  ++pos_;  // the backslash
  if (pos_ >= text_.size()) return fail("unterminated string");
  const char c = text_[pos_++];
  switch (c) {
    case '"': out += '"'; return true;
    case '\\': out += '\\'; return true;
    case '/': out += '/'; return true;
    case 'b': out += '\b'; return true;
    case 'f': out += '\f'; return true;
    case 'n': out += '\n'; return true;
    case 'r': out += '\r'; return true;
    case 't': out += '\t'; return true;
    case 'u': break;
    default:
      --pos_;
      return fail("invalid escape in a string");
  }
  uint32_t cp;
  if (!read_hex4(cp)) return false;
  if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("a low surrogate \\u escape without a high one before it");
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    // A high surrogate must be followed at once by an escaped low one: together one code point.
    if (text_.substr(pos_, 2) != "\\u") return fail("a high surrogate \\u escape without a low one after it");
    pos_ += 2;
    uint32_t low;
    if (!read_hex4(low)) return false;
    if (low < 0xDC00 || low > 0xDFFF) return fail("a high surrogate \\u escape without a low one after it");
    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
  }
  append_utf8(out, cp);
  return true;
}

bool JsonCursor::read_string(std::string& out) {
  out.clear();
  ++pos_;  // the opening quote
  std::size_t run = pos_;  // start of the bytes not yet copied
  while (pos_ < text_.size()) {
    const auto c = static_cast<unsigned char>(text_[pos_]);
    if (c == '"') {
      out.append(text_.data() + run, pos_ - run);
      ++pos_;
      return true;
    }
    if (c == '\\') {
      out.append(text_.data() + run, pos_ - run);
      if (!read_escape(out)) return false;
      run = pos_;
    } else if (c < 0x20) {
      return fail("a control character in a string (escape it)");
    } else if (c >= 0x80) {
      if (!validate_utf8()) return false;
    } else {
      ++pos_;
    }
  }
  return fail("unterminated string");
}

bool JsonCursor::read_key(std::string& out) {
  if (peek() != '"' || pos_ >= text_.size()) return fail("expected a key (a string)");
  return read_string(out) && expect(':');
}

bool JsonCursor::read_literal(std::string_view word) {
  if (text_.substr(pos_, word.size()) != word) return fail("invalid literal");
  pos_ += word.size();
  return true;
}

bool JsonCursor::read_number(JsonScalar& out) {
  const std::size_t begin = pos_;
  const bool negative = text_[pos_] == '-';
  if (negative) ++pos_;
  // Integer part: "0" or a non-zero digit followed by digits.
  if (pos_ >= text_.size() || !is_digit(text_[pos_])) return fail("invalid number");
  if (text_[pos_] == '0') {
    ++pos_;
  } else {
    while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
  }
  bool integer = true;
  if (pos_ < text_.size() && text_[pos_] == '.') {
    integer = false;
    ++pos_;
    if (pos_ >= text_.size() || !is_digit(text_[pos_])) return fail("invalid number");
    while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
  }
  if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    integer = false;
    ++pos_;
    if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
    if (pos_ >= text_.size() || !is_digit(text_[pos_])) return fail("invalid number");
    while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
  }
  const char* first = text_.data() + begin;
  const char* last = text_.data() + pos_;
  if (integer) {
    // Out of int64/uint64 range it becomes a float, as nlohmann reports it.
    if (negative) {
      auto [end, ec] = std::from_chars(first, last, out.i);
      if (ec == std::errc() && end == last) {
        out.kind = JsonScalar::kInt;
        return true;
      }
    } else {
      auto [end, ec] = std::from_chars(first, last, out.u);
      if (ec == std::errc() && end == last) {
        out.kind = JsonScalar::kUnsigned;
        return true;
      }
    }
  }
  // Rare on this path: strtod on a bounded copy tells overflow (not finite: refused, as
  // nlohmann refuses it) from underflow (a tiny or zero value: accepted).
  const std::string copy(first, last);
  char* end = nullptr;
  out.f = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || !std::isfinite(out.f)) {
    pos_ = begin;
    return fail("number out of range");
  }
  out.kind = JsonScalar::kFloat;
  return true;
}

bool JsonCursor::read_scalar(JsonScalar& out) {
  const char c = peek();
  if (pos_ >= text_.size()) return fail("unexpected end of input");
  out.s = nullptr;
  switch (c) {
    case '"':
      out.kind = JsonScalar::kString;
      out.s = &scratch_;
      return read_string(scratch_);
    case 't':
      out.kind = JsonScalar::kBool;
      out.b = true;
      return read_literal("true");
    case 'f':
      out.kind = JsonScalar::kBool;
      out.b = false;
      return read_literal("false");
    case 'n':
      out.kind = JsonScalar::kNull;
      return read_literal("null");
    case '{':
    case '[':
      return false;  // a container: the caller's business
    default:
      if (c == '-' || is_digit(c)) return read_number(out);
      return fail("unexpected character");
  }
}

bool JsonCursor::read_value(nlohmann::json& out, int max_depth) {
  const char c = peek();
  if (pos_ < text_.size() && (c == '{' || c == '[')) {
    if (max_depth <= 0) {
      depth_exceeded_ = true;
      return fail("nested too deep");
    }
    ++pos_;
    bool more = true;
    if (c == '[') {
      out = nlohmann::json::array();
      if (consume(']')) return true;
      while (more) {
        nlohmann::json item;
        if (!read_value(item, max_depth - 1)) return false;
        out.push_back(std::move(item));
        if (!next_member(']', more)) return false;
      }
      return true;
    }
    out = nlohmann::json::object();
    if (consume('}')) return true;
    std::string key;
    while (more) {
      if (!read_key(key)) return false;
      nlohmann::json item;
      if (!read_value(item, max_depth - 1)) return false;
      out[key] = std::move(item);  // a repeated key: the last one wins, as nlohmann does
      if (!next_member('}', more)) return false;
    }
    return true;
  }
  JsonScalar v;
  if (!read_scalar(v)) {
    if (!failed()) fail("unexpected character");
    return false;
  }
  switch (v.kind) {
    case JsonScalar::kNull: out = nullptr; break;
    case JsonScalar::kBool: out = v.b; break;
    case JsonScalar::kInt: out = v.i; break;
    case JsonScalar::kUnsigned: out = v.u; break;
    case JsonScalar::kFloat: out = v.f; break;
    case JsonScalar::kString: out = std::move(*v.s); break;
  }
  return true;
}

}  // namespace dbg
