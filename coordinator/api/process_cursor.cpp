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
  std::string text = std::string("2|") + std::to_string(c.generation) + "|" + ranking::to_string(c.key) + "|" +
                     ranking::to_string(c.order) + "|" + std::to_string(c.pid) + "|";
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
  std::string_view rest(*text);
  ProcessCursor c;
  // Version 2 has the generation after the version; version 1 (no generation) is still read.
  if (rest.starts_with("2|")) {
    rest.remove_prefix(2);
    auto bar = rest.find('|');
    if (bar == std::string_view::npos) return bad("malformed");
    auto field = rest.substr(0, bar);
    auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), c.generation);
    if (ec != std::errc{} || end != field.data() + field.size()) return bad("no generation");
    rest.remove_prefix(bar + 1);
  } else if (rest.starts_with("1|")) {
    rest.remove_prefix(2);
  } else {
    return bad("unknown version");
  }
  std::vector<std::string_view> parts;
  for (int i = 0; i < 3; ++i) {
    auto bar = rest.find('|');
    if (bar == std::string_view::npos) return bad("malformed");
    parts.push_back(rest.substr(0, bar));
    rest.remove_prefix(bar + 1);
  }
  parts.push_back(rest);  // the value: may hold '|' (a comm)
  auto key = ranking::parse_sort_key(parts[0]);
  if (!key) return bad("unknown sort");
  c.key = *key;
  if (parts[1] == "asc") c.order = ranking::SortOrder::asc;
  else if (parts[1] == "desc") c.order = ranking::SortOrder::desc;
  else return bad("unknown order");
  auto [end, ec] = std::from_chars(parts[2].data(), parts[2].data() + parts[2].size(), c.pid);
  if (ec != std::errc{} || end != parts[2].data() + parts[2].size() || c.pid <= 0) return bad("no pid");
  if (c.key == ranking::SortKey::comm) {
    c.value = std::string(parts[3]);
  } else {
    // strtod needs a terminated string; the value is short.
    std::string number(parts[3]);
    char* stop = nullptr;
    double v = std::strtod(number.c_str(), &stop);
    if (number.empty() || stop != number.c_str() + number.size() || !std::isfinite(v)) return bad("no value");
    c.value = v;
  }
  return c;
}

void PinnedSnapshots::expire(Clock::time_point now) {
  std::erase_if(pinned_, [&](const Pinned& p) { return now - p.since >= keep_; });
}

void PinnedSnapshots::pin(std::shared_ptr<const ranking::TableSnapshot> snap, Clock::time_point now) {
  if (!snap || capacity_ == 0) return;
  std::shared_ptr<const ranking::TableSnapshot> dropped;  // released outside the lock
  std::lock_guard lock(mutex_);
  expire(now);
  for (const auto& p : pinned_)
    if (p.snap->info().generation == snap->info().generation) return;
  if (pinned_.size() >= capacity_) {
    dropped = std::move(pinned_.front().snap);
    pinned_.erase(pinned_.begin());
  }
  pinned_.push_back(Pinned{std::move(snap), now});
}

std::shared_ptr<const ranking::TableSnapshot> PinnedSnapshots::find(std::uint64_t generation, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  expire(now);
  for (const auto& p : pinned_)
    if (p.snap->info().generation == generation) return p.snap;
  return nullptr;
}

std::size_t PinnedSnapshots::size() const {
  std::lock_guard lock(mutex_);
  return pinned_.size();
}

}  // namespace dbg::coord::api
