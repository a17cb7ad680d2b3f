// --help, generated from flag_table(): the usage line, one entry per flag (its paragraph, then
// range, environment variable and default), then what every start prints and the exit codes.
#include <string>
#include <string_view>
#include <vector>

#include "coordinator/config.hpp"
#include "coordinator/config_flags.hpp"

namespace dbg::coord {

namespace {

constexpr std::size_t kWidth = 96;       // the longest line help prints
constexpr std::size_t kHelpColumn = 22;  // where a flag's description starts

std::vector<std::string_view> words_of(std::string_view text) {
  std::vector<std::string_view> words;
  while (!text.empty()) {
    auto space = text.find(' ');
    if (space != 0) words.push_back(text.substr(0, space));
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return words;
}

// Appends words to out, the first line continuing `out`'s last line, each next line indented.
void wrap(std::string& out, std::string_view text, std::size_t indent, std::size_t width) {
  std::size_t column = out.size() - (out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
  bool line_has_word = false;
  for (std::string_view word : words_of(text)) {
    if (line_has_word && column + 1 + word.size() > width) {
      out += '\n';
      out.append(indent, ' ');
      column = indent;
      line_has_word = false;
    }
    if (line_has_word) {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
    line_has_word = true;
  }
  out += '\n';
}

std::string usage_line() {
  std::string items;
  for (const FlagSpec& spec : flag_table()) {
    if (!items.empty()) items += ' ';
    std::string item = "[" + std::string(spec.name);
    if (takes_value(spec)) item += " " + std::string(spec.value_name);
    item += "]";
    // One bracketed flag is one word of the wrap: "[--listen HOST:PORT]" never splits.
    for (char& c : item)
      if (c == ' ') c = '\x1f';
    items += item;
  }
  std::string out = "usage: dbgcoord ";
  wrap(out, items, 16, kWidth + 4);
  for (char& c : out)
    if (c == '\x1f') c = ' ';
  return out;
}

std::string flag_entry(const FlagSpec& spec) {
  std::string out = "  " + std::string(spec.name);
  if (!spec.alias.empty()) out += ", " + std::string(spec.alias);
  if (takes_value(spec)) out += " " + std::string(spec.value_name);
  out += out.size() + 1 < kHelpColumn ? std::string(kHelpColumn - out.size(), ' ') : std::string("  ");
  std::vector<std::string> facts;
  if (auto range = range_text(spec); !range.empty()) facts.push_back(std::move(range));
  if (!spec.env.empty()) facts.push_back("env " + std::string(spec.env));
  if (auto shown = default_text(spec); !shown.empty()) facts.push_back("default " + shown);
  std::string text(spec.help);
  for (std::size_t i = 0; i < facts.size(); ++i) text += (i == 0 ? " (" : "; ") + facts[i];
  if (!facts.empty()) text += ")";
  wrap(out, text, kHelpColumn, kWidth);
  return out;
}

}  // namespace

std::string help_text() {
  std::string out = usage_line();
  out += R"(
dbgcoord coordinates debugging workers (stack snapshots, profiles, crash watches) on this host
and serves them over HTTP.

flags:
)";
  for (const FlagSpec& spec : flag_table()) out += flag_entry(spec);
  out += R"(
Flags take precedence over environment variables. On start dbgcoord prints one line to stdout:
  dbgcoord listening on http://HOST:PORT (data: DIR)
Logs go to stderr; one of the first lines says where the API token is. Every /api route and
/metrics need it, e.g. curl -H "Authorization: Bearer TOKEN" http://HOST:PORT/api/v1/processes
(/healthz needs none). SIGINT or SIGTERM stop it gracefully.

exit status: 0 stopped by a signal or --help; 1 runtime failure (address in use, database
newer than this version, unusable data directory or token file); 2 bad flag or value.
)";
  return out;
}

}  // namespace dbg::coord
