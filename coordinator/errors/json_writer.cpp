#include "coordinator/errors/json_writer.hpp"

#include <cstdint>

namespace dbg::coord::errors {

namespace {

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

std::string string_array_json(const std::vector<std::string>& items) {
  std::size_t bytes = 2;
  for (const auto& item : items) bytes += item.size() + 3;
  std::string out;
  out.reserve(bytes);
  out += '[';
  for (std::size_t k = 0; k < items.size(); ++k) {
    if (k) out += ',';
    append_json_string(out, items[k]);
  }
  out += ']';
  return out;
}

}  // namespace dbg::coord::errors
