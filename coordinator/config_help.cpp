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

// A flag's paragraph with its range, environment variable and default: what --help, the man
// page and the config file template all print.
std::string described(const FlagSpec& spec) {
  std::vector<std::string> facts;
  if (auto range = range_text(spec); !range.empty()) facts.push_back(std::move(range));
  if (!spec.env.empty()) facts.push_back("env " + std::string(spec.env));
  if (auto shown = default_text(spec); !shown.empty()) facts.push_back("default " + shown);
  std::string text(spec.help);
  for (std::size_t i = 0; i < facts.size(); ++i) text += (i == 0 ? " (" : "; ") + facts[i];
  if (!facts.empty()) text += ")";
  return text;
}

std::string flag_entry(const FlagSpec& spec) {
  std::string out = "  " + std::string(spec.name);
  if (!spec.alias.empty()) out += ", " + std::string(spec.alias);
  if (takes_value(spec)) out += " " + std::string(spec.value_name);
  out += out.size() + 1 < kHelpColumn ? std::string(kHelpColumn - out.size(), ' ') : std::string("  ");
  wrap(out, described(spec), kHelpColumn, kWidth);
  return out;
}

constexpr std::string_view kSummary =
    "dbgcoord coordinates debugging workers (stack snapshots, profiles, crash watches) on this host "
    "and serves them over HTTP.";
constexpr std::string_view kPrecedence =
    "Flags take precedence over environment variables, those over the config file (--config), and the file "
    "over the defaults.";
constexpr std::string_view kExitStatus =
    "0 stopped by a signal, --help or --check-config with no problem; 1 runtime failure (address in use, "
    "database newer than this version, unusable data directory or token file); 2 bad flag, value or config "
    "file.";

// roff: backslashes as \e, every "-" as \- (options are typed with ASCII hyphens), a line that
// would start with "." or "'" guarded with \&.
std::string roff(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  if (!out.empty() && (out.front() == '.' || out.front() == '\'')) out.insert(0, "\\&");
  return out;
}

// Text as "# " comment lines of at most kWidth columns.
std::string commented(std::string_view text) {
  std::string wrapped;
  wrap(wrapped, text, 0, kWidth - 2);
  std::string out;
  std::size_t start = 0;
  while (start < wrapped.size()) {
    const auto end = wrapped.find('\n', start);
    out += "# " + wrapped.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string help_text() {
  std::string out = usage_line();
  out += "\n";
  wrap(out, kSummary, 0, kWidth);
  out += "\nflags:\n";
  for (const FlagSpec& spec : flag_table()) out += flag_entry(spec);
  out += "\n";
  wrap(out, kPrecedence, 0, kWidth);
  out += R"(On start dbgcoord prints one line to stdout:
  dbgcoord listening on http://HOST:PORT (data: DIR)
Logs go to stderr; one of the first lines says where the API token is. Every /api route and
/metrics need it, e.g. curl -H "Authorization: Bearer TOKEN" http://HOST:PORT/api/v1/processes
(/healthz needs none). SIGINT or SIGTERM stop it gracefully.

)";
  out += "exit status: ";
  wrap(out, kExitStatus, 0, kWidth);
  return out;
}

std::string man_page() {
  std::string out = ".TH DBGCOORD 1 \"\" \"dbgcoord " + std::string(version()) + "\" \"User Commands\"\n";
  // No hyphenation, left-aligned: flag names and variables stay whole words.
  out += ".nh\n.ad l\n";
  out += ".SH NAME\ndbgcoord \\- multi\\-process debug coordinator for Linux\n";
  out += ".SH SYNOPSIS\n.B dbgcoord\n[\\fIflags\\fR]\n";
  out += ".SH DESCRIPTION\n" + roff(kSummary) + "\n";
  out += ".PP\nOn start dbgcoord prints one line to stdout, \\fBdbgcoord listening on http://HOST:PORT (data: DIR)\\fR; "
         "logs go to stderr, and one of the first lines says where the API token is. Every /api route and /metrics "
         "need it as \\fBAuthorization: Bearer TOKEN\\fR (/healthz needs none). SIGINT or SIGTERM stop it "
         "gracefully.\n";
  out += ".SH OPTIONS\n";
  for (const FlagSpec& spec : flag_table()) {
    out += ".TP\n\\fB" + roff(spec.name) + "\\fR";
    if (!spec.alias.empty()) out += ", \\fB" + roff(spec.alias) + "\\fR";
    if (takes_value(spec)) out += " \\fI" + roff(spec.value_name) + "\\fR";
    out += "\n";
    out += roff(described(spec)) + "\n";
  }
  out += ".SH CONFIGURATION FILE\n" + roff(kPrecedence) + "\n.PP\n";
  out += "Every option above but \\fB\\-\\-config\\fR, \\fB\\-\\-check\\-config\\fR, \\fB\\-\\-list\\-routes\\fR and the "
         "actions (\\fB\\-\\-help\\fR, \\fB\\-\\-version\\fR, ...) can be set in the file as \\fIkey\\fR = \\fIvalue\\fR, the key being "
         "the option without \\fB\\-\\-\\fR, e.g. \\fBlisten = 127.0.0.1:7070\\fR; toggles take \\fBon\\fR or \\fBoff\\fR. "
         "\\fBdbgcoord \\-\\-help\\-config\\fR prints a commented file with every key.\n";
  out += ".SH FILES\n.TP\n.I " + roff(kDefaultConfigFile) + "\nthe config file read when \\fB\\-\\-config\\fR and "
         "DBGCOORD_CONFIG name none, if it exists\n.TP\n.I /var/lib/dbgcoord\nthe data directory of the packaged "
         "service (dbgcoord.db, token, crash/)\n";
  out += ".SH EXIT STATUS\n" + roff(kExitStatus) + "\n";
  out += ".SH SEE ALSO\n.BR systemctl (1),\n.BR journalctl (1)\n";
  return out;
}

std::string config_file_template() {
  std::string out = commented(
      "dbgcoord's config file, " + std::string(kDefaultConfigFile) +
      " (or --config FILE, DBGCOORD_CONFIG). One \"key = value\" per line, the key a flag's name without "
      "\"--\"; toggles take on or off. # starts a comment at the start of a line or after a space or tab (so a value "
      "cannot hold \" #\"); blank lines are ignored. " +
      std::string(kPrecedence) + " Check a file with: dbgcoord --check-config --config FILE");
  // The package's copy sets a few keys on this text (packaging/gen_conf.sh): the sentence holds
  // for both, so the packaged file needs no second header.
  out += commented("Generated by dbgcoord --help-config from the flag table (man dbgcoord says the same); "
                   "a commented-out key shows its default, and a key set is a choice of whoever ships the "
                   "file.");
  for (const FlagSpec& spec : flag_table()) {
    if (!settable_in_file(spec)) continue;
    out += "\n" + commented(described(spec));
    std::string value;
    if (spec.kind == FlagKind::toggle) {
      value = "off";
    } else if (spec.default_note.empty() && !default_text(spec).empty()) {
      value = default_text(spec);
    } else {
      value = std::string(spec.value_name);
    }
    out += "#" + std::string(file_key(spec)) + " = " + value + "\n";
  }
  return out;
}

}  // namespace dbg::coord
