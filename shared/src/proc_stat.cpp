#include "dbg/proc_stat.hpp"

#include <charconv>
#include <vector>

namespace dbg::procfs {

namespace {

template <typename T>
bool parse_number(std::string_view text, T& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

std::vector<std::string_view> split_spaces(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n')) ++i;
    std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\n') ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<StatFields> parse_stat(std::string_view text) {
  // comm may contain anything, ')' and spaces included, so it runs from the first '(' to the
  // *last* ')'; every field after that is a plain number or the state letter.
  auto open = text.find('(');
  auto close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;

  StatFields f;
  if (!parse_number(trim(text.substr(0, open)), f.pid)) return std::nullopt;
  f.comm = std::string(text.substr(open + 1, close - open - 1));

  // rest[k] is field k + 3.
  auto rest = split_spaces(text.substr(close + 1));
  if (rest.size() < 22 || rest[0].size() != 1) return std::nullopt;
  f.state = rest[0][0];
  std::int64_t threads = 0;
  std::int64_t rss = 0;  // a signed long in the kernel
  if (!parse_number(rest[1], f.ppid) || !parse_number(rest[6], f.flags) || !parse_number(rest[11], f.utime) ||
      !parse_number(rest[12], f.stime) || !parse_number(rest[17], threads) ||
      !parse_number(rest[19], f.start_time) || !parse_number(rest[21], rss)) {
    return std::nullopt;
  }
  f.threads = threads < 0 ? 0 : static_cast<int>(threads);
  f.rss_pages = rss < 0 ? 0 : static_cast<std::uint64_t>(rss);
  return f;
}

StatusFields parse_status(std::string_view text) {
  StatusFields out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);

    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon);
    std::string_view value = trim(line.substr(colon + 1));
    if (key == "Uid") {
      // "Uid:\treal\teffective\tsaved\tfs"
      auto end = value.find_first_of(" \t");
      unsigned long uid = 0;
      if (parse_number(value.substr(0, end), uid)) out.real_uid = uid;
    } else if (key == "Tgid") {
      int tgid = 0;
      if (parse_number(value, tgid)) out.tgid = tgid;
    } else if (key == "voluntary_ctxt_switches") {
      uint64_t switches = 0;
      if (parse_number(value, switches)) out.voluntary_ctxt_switches = switches;
    }
  }
  return out;
}

std::string cmdline_from_raw(std::string_view raw) {
  std::string out(raw);
  for (char& c : out) {
    if (c == '\0') c = ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace dbg::procfs
