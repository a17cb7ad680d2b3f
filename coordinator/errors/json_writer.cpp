#include "coordinator/errors/json_writer.hpp"

#include <cstdint>

namespace dbg::coord::errors {

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not one (overlong forms,
// surrogates and code points above U+10FFFF are invalid, RFC 3629).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  std::size_t n;
  uint32_t cp;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

void append_hex(std::string& out, uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  char buffer[18];
  std::size_t at = sizeof buffer;
  do {
    buffer[--at] = kDigits[v & 0xf];
    v >>= 4;
  } while (v != 0);
  out += "\"0x";
  out.append(buffer + at, sizeof buffer - at);
  out += '"';
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    // Runs of plain characters are copied at once.
    std::size_t run = i;
    while (run < s.size()) {
      const auto c = static_cast<unsigned char>(s[run]);
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
      ++run;
    }
    out.append(s.data() + i, run - i);
    i = run;
    if (i == s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20) {
      switch (c) {
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          out += "\\u00";
          out += kDigits[c >> 4];
          out += kDigits[c & 0xf];
      }
      ++i;
    } else if (std::size_t n = utf8_sequence(s, i); n > 0) {
      out.append(s.data() + i, n);
      i += n;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD for one invalid byte
      ++i;
    }
  }
  out += '"';
}

std::string frames_json(const std::vector<Frame>& frames) {
  std::string out;
  out.reserve(frames.size() * 160 + 2);
  out += '[';
  for (std::size_t k = 0; k < frames.size(); ++k) {
    const Frame& f = frames[k];
    if (k) out += ',';
    out += "{\"file\":";
    if (f.file) {
      append_json_string(out, *f.file);
    } else {
      out += "null";
    }
    out += ",\"function\":";
    if (f.function) {
      append_json_string(out, *f.function);
    } else {
      out += "null";
    }
    out += f.inlined ? ",\"inlined\":true,\"line\":" : ",\"inlined\":false,\"line\":";
    if (f.line) {
      out += std::to_string(*f.line);
    } else {
      out += "null";
    }
    out += ",\"module\":";
    append_json_string(out, f.module);
    out += ",\"offset\":";
    append_hex(out, f.offset);
    out += ",\"pc\":";
    append_hex(out, f.pc);
    out += '}';
  }
  out += ']';
  return out;
}

}  // namespace dbg::coord::errors
