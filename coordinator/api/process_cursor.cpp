#include "coordinator/api/process_cursor.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <vector>

namespace dbg::coord::api {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::size_t kMaxCursorChars = 512;  // comm is 15 bytes: a real cursor is far shorter

std::string base64url(std::string_view bytes) {
  std::string out;
  unsigned bits = 0, value = 0;
  for (unsigned char c : bytes) {
    value = (value << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(value >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(value << (6 - bits)) & 63];
  return out;
}

std::optional<std::string> from_base64url(std::string_view text) {
  std::string out;
  unsigned bits = 0, value = 0;
  for (char c : text) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
    if (v < 0) return std::nullopt;
    value = (value << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((value >> bits) & 0xff);
    }
  }
  return out;
}

Error bad(const std::string& why) { return Error{"bad_request", "invalid \"cursor\": " + why + " (pass next_cursor as it was returned)"}; }

}  // namespace

std::string encode_cursor(const ProcessCursor& c) {
  std::string text = std::string("1|") + ranking::to_string(c.key) + "|" + ranking::to_string(c.order) + "|" +
                     std::to_string(c.pid) + "|";
  if (const auto* number = std::get_if<double>(&c.value)) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", *number);  // round-trips a double exactly
    text += buf;
  } else {
    text += std::get<std::string>(c.value);
  }
  return base64url(text);
}

Result<ProcessCursor> decode_cursor(std::string_view encoded) {
  if (encoded.empty() || encoded.size() > kMaxCursorChars) return bad("empty or too long");
  auto text = from_base64url(encoded);
  if (!text) return bad("not base64url");
  std::vector<std::string_view> parts;
  std::string_view rest(*text);
  for (int i = 0; i < 4; ++i) {
    auto bar = rest.find('|');
    if (bar == std::string_view::npos) return bad("malformed");
    parts.push_back(rest.substr(0, bar));
    rest.remove_prefix(bar + 1);
  }
  parts.push_back(rest);  // the value: may hold '|' (a comm)
  if (parts[0] != "1") return bad("unknown version");
  ProcessCursor c;
  auto key = ranking::parse_sort_key(parts[1]);
  if (!key) return bad("unknown sort");
  c.key = *key;
  if (parts[2] == "asc") c.order = ranking::SortOrder::asc;
  else if (parts[2] == "desc") c.order = ranking::SortOrder::desc;
  else return bad("unknown order");
  auto [end, ec] = std::from_chars(parts[3].data(), parts[3].data() + parts[3].size(), c.pid);
  if (ec != std::errc{} || end != parts[3].data() + parts[3].size() || c.pid <= 0) return bad("no pid");
  if (c.key == ranking::SortKey::comm) {
    c.value = std::string(parts[4]);
  } else {
    // strtod needs a terminated string; the value is short.
    std::string number(parts[4]);
    char* stop = nullptr;
    double v = std::strtod(number.c_str(), &stop);
    if (number.empty() || stop != number.c_str() + number.size() || !std::isfinite(v)) return bad("no value");
    c.value = v;
  }
  return c;
}

}  // namespace dbg::coord::api
