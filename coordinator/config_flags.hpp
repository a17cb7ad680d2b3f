#pragma once
// dbgcoord's flags as data: one FlagSpec per flag (name, environment variable, kind, range,
// the Config field it sets, help). parse_command_line, the environment fallback, validation and
// --help all read this table, so a flag is added in one place; a config file or a man page
// generated later iterate flag_table() the same way.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "coordinator/config.hpp"

namespace dbg::coord {

enum class FlagKind {
  address,  // HOST:PORT (parse_listen_address)
  path,     // a file or directory name, not empty
  integer,  // a whole number in [min, max]
  decimal,  // a plain decimal number in (min, max]: "5", "2.5"
  on_off,   // "on" or "off"
  off_word, // "off" or the one word after "|" in value_name ("off|host"): a bool, true for the word
  text,     // a word or URL, checked by the flag's own `check` (fleet settings)
  toggle,   // no value: present means true
  help,     // --help: print the help and exit
  version,  // --version: print the version and exit
  help_man,     // --help-man: print the man page (roff) and exit
  help_config,  // --help-config: print the commented default config file and exit
};

// The Config member a flag sets; monostate for --help and --version.
using ConfigField = std::variant<std::monostate, ListenAddress Config::*, std::filesystem::path Config::*,
                                 std::optional<std::filesystem::path> Config::*, std::size_t Config::*,
                                 double Config::*, bool Config::*, std::string Config::*>;

struct FlagSpec {
  std::string_view name = {};        // "--workers"
  std::string_view alias = {};       // "-h", or empty
  std::string_view env = {};         // "DBGCOORD_WORKERS", or empty: no environment fallback
  FlagKind kind = FlagKind::toggle;
  std::string_view value_name = {};  // "N", "FILE" in usage and help; empty for toggle/help/version
  // What the value is, for "--x needs a value (...)" and the decimal error: "seconds", "a file".
  std::string_view unit = {};
  std::uint64_t min = 0;  // integer: inclusive; decimal: exclusive
  std::uint64_t max = 0;  // inclusive
  ConfigField field = {};
  // The default as help shows it when Config{}'s value does not say it ("min(32, 4 x cores)"),
  // or empty: then default_text() prints Config{}'s value.
  std::string_view default_note = {};
  std::string_view help = {};  // one paragraph; help_text() wraps it and adds range, env and default
  // Only on the command line (--config, --check-config, --list-routes): not a config file key.
  bool cli_only = false;
  // text: nullopt when the value is acceptable, else why not ("'a b' is not a host name").
  std::optional<std::string> (*check)(std::string_view) = nullptr;
  // text: the value may hold a password (--fleet-db): never echoed in a message or a log.
  bool secret = false;
};

// Every flag, in the order --help lists them.
std::span<const FlagSpec> flag_table();

// Whether the flag can be set in the config file as `key = value` (key: name without "--"):
// every flag but the actions (--help, --version, ...) and the cli_only ones.
bool settable_in_file(const FlagSpec& spec);
// The config file's key of a flag: "workers" for "--workers".
std::string_view file_key(const FlagSpec& spec);
// Sets spec's field from a config file value: as apply_flag, and a toggle takes "on" or "off".
std::optional<std::string> apply_file_value(const FlagSpec& spec, std::string_view text, Config& config);

// Whether the flag is followed by a value ("--workers 4", "--workers=4").
bool takes_value(const FlagSpec& spec);
// "1..32", "above 0, at most 6400"; empty for kinds without a range.
std::string range_text(const FlagSpec& spec);
// The default help shows: default_note, else Config{}'s value; empty when there is none to show.
std::string default_text(const FlagSpec& spec);
// What "--x needs a value (...)" says: "HOST:PORT", "seconds, 1..86400", "on or off".
std::string value_hint(const FlagSpec& spec);

// Parses text as spec's kind into config's field. nullopt on success, else the reason, without
// the flag's name ("'0' is not a whole number from 1 to 32").
std::optional<std::string> apply_flag(const FlagSpec& spec, std::string_view text, Config& config);

}  // namespace dbg::coord
