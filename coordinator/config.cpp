#include "coordinator/config.hpp"

#include "coordinator/config_flags.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace dbg::coord {

namespace {

bool parse_port(std::string_view text, std::uint16_t* port) {
  if (text.empty() || text.size() > 5) return false;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  // from_chars accepts a prefix; demand the whole text (so "80x" and "+80" fail).
  if (ec != std::errc{} || end != text.data() + text.size() || value > 65535) return false;
  *port = static_cast<std::uint16_t>(value);
  return true;
}

bool is_ipv4(const std::string& host) {
  in_addr a{};
  return ::inet_pton(AF_INET, host.c_str(), &a) == 1;
}

bool is_ipv6(const std::string& host) {
  in6_addr a{};
  return ::inet_pton(AF_INET6, host.c_str(), &a) == 1;
}

}  // namespace

bool ListenAddress::is_loopback() const {
  in_addr a4{};
  if (::inet_pton(AF_INET, host.c_str(), &a4) == 1) {
    // The whole 127.0.0.0/8 block is loopback (RFC 1122 3.2.1.3), not just 127.0.0.1.
    return (ntohl(a4.s_addr) >> 24) == 127;
  }
  in6_addr a6{};
  if (::inet_pton(AF_INET6, host.c_str(), &a6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&a6)) return true;
    // ::ffff:127.x.y.z reaches the IPv4 loopback through a dual-stack socket.
    return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
  }
  return false;
}

std::string ListenAddress::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string* error) {
  auto fail = [&](std::string message) -> std::optional<ListenAddress> {
    *error = std::move(message);
    return std::nullopt;
  };
  std::string host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return fail("invalid listen address '" + std::string(text) + "': expected [IPv6]:PORT");
    }
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
    if (!is_ipv6(host)) return fail("invalid listen address '" + std::string(text) + "': '" + host + "' is not an IPv6 address");
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return fail("invalid listen address '" + std::string(text) + "': expected HOST:PORT, e.g. 127.0.0.1:7070");
    }
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      return fail("invalid listen address '" + std::string(text) + "': write IPv6 addresses in brackets, e.g. [::1]:7070");
    }
    if (host == "localhost") host = "127.0.0.1";
    if (host.empty()) return fail("invalid listen address '" + std::string(text) + "': missing host");
    if (!is_ipv4(host)) {
      return fail("invalid listen address '" + std::string(text) + "': host must be an IP address or localhost");
    }
  }
  ListenAddress address;
  address.host = std::move(host);
  if (!parse_port(port_text, &address.port)) {
    return fail("invalid listen address '" + std::string(text) + "': port must be a number from 0 to 65535");
  }
  return address;
}

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

namespace {

// The table's entry for arg ("--workers", "-h"), or for "--workers=4" with *inline_value set to
// "4"; nullptr when arg names no flag.
const FlagSpec* find_flag(std::string_view arg, std::optional<std::string>* inline_value) {
  for (const FlagSpec& spec : flag_table()) {
    if (arg == spec.name || (!spec.alias.empty() && arg == spec.alias)) return &spec;
    if (takes_value(spec) && arg.size() > spec.name.size() && arg.substr(0, spec.name.size()) == spec.name &&
        arg[spec.name.size()] == '=') {
      *inline_value = std::string(arg.substr(spec.name.size() + 1));
      return &spec;
    }
  }
  return nullptr;
}

}  // namespace

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

}  // namespace

FileReader process_files() {
  return [](const std::filesystem::path& path) {
    FileRead out;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      if (ec && ec != std::errc::no_such_file_or_directory) {
        out.found = true;
        out.error = ec.message();
      }
      return out;
    }
    out.found = true;
    if (std::filesystem::is_directory(path, ec)) {
      out.error = "is a directory";
      return out;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      out.error = std::strerror(errno);
      return out;
    }
    std::ostringstream text;
    text << in.rdbuf();
    out.text = std::move(text).str();
    return out;
  };
}

namespace {

// "workers = 4  # four" -> " 4  ": a '#' after a space or tab starts a comment, so a value
// cannot hold " #" (none needs to: paths, numbers, words and addresses; "a#b" stays whole).
std::string_view without_comment(std::string_view value) {
  for (std::size_t i = 1; i < value.size(); ++i) {
    if (value[i] == '#' && (value[i - 1] == ' ' || value[i - 1] == '\t')) return value.substr(0, i);
  }
  return value;
}

}  // namespace

ParsedConfigFile parse_config_file(std::string_view text, std::string_view name) {
  ParsedConfigFile out;
  const auto table = flag_table();
  std::vector<std::size_t> seen_on(table.size(), 0);
  Config scratch;  // each value is applied here only to check it
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const auto newline = text.find('\n');
    std::string_view line = trim(text.substr(0, newline));
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    auto problem = [&](const std::string& message) {
      out.problems.push_back(std::string(name) + ":" + std::to_string(line_number) + ": " + message);
    };
    if (line.empty() || line.front() == '#') continue;
    const auto equals = line.find('=');
    if (equals == std::string_view::npos) {
      problem("expected \"key = value\", got \"" + std::string(line) + "\"");
      continue;
    }
    const std::string_view key = trim(line.substr(0, equals));
    const std::string_view value = trim(without_comment(line.substr(equals + 1)));
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& candidate : table) {
      if (candidate.name.size() > 2 && file_key(candidate) == key) spec = &candidate;
    }
    if (spec == nullptr) {
      problem("unknown key \"" + std::string(key) + "\"");
      continue;
    }
    if (!settable_in_file(*spec)) {
      problem("\"" + std::string(key) + "\" can only be given on the command line (" + std::string(spec->name) + ")");
      continue;
    }
    const auto index = static_cast<std::size_t>(spec - table.data());
    if (seen_on[index] != 0) {
      problem("duplicate key \"" + std::string(key) + "\" (first on line " + std::to_string(seen_on[index]) + ")");
      continue;
    }
    seen_on[index] = line_number;
    if (auto error = apply_file_value(*spec, value, scratch)) {
      problem(std::string(key) + ": " + *error);
      continue;
    }
    out.entries.push_back({index, std::string(value), line_number});
  }
  return out;
}

CommandLine parse_command_line(const std::vector<std::string>& args, const EnvLookup& env) {
  return parse_command_line(args, env, [](const std::filesystem::path&) { return FileRead{}; });
}

CommandLine parse_command_line(const std::vector<std::string>& args, const EnvLookup& env,
                               const FileReader& files) {
  CommandLine out;
  auto usage_error = [&](std::string message) {
    out.action = CommandLine::Action::usage_error;
    out.error = std::move(message);
    return out;
  };
  const auto table = flag_table();

  // Help wins over everything else on the line, even errors, so that a user who is already
  // confused gets the text and not one more error.
  for (const std::string& arg : args) {
    std::optional<std::string> ignored;
    const FlagSpec* spec = find_flag(arg, &ignored);
    if (spec && spec->kind == FlagKind::help) {
      out.action = CommandLine::Action::help;
      return out;
    }
  }

  // First the words, by flag (the last one given wins); values are checked after, so that
  // --version answers even next to a bad value.
  std::vector<std::optional<std::string>> given(table.size());
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::optional<std::string> value;
    const FlagSpec* spec = find_flag(arg, &value);
    if (spec == nullptr) {
      if (arg.size() > 1 && arg[0] == '-') return usage_error("unknown flag '" + arg + "'");
      return usage_error("unexpected argument '" + arg + "'");
    }
    if (spec->kind == FlagKind::version || spec->kind == FlagKind::help_man || spec->kind == FlagKind::help_config) {
      out.action = spec->kind == FlagKind::version    ? CommandLine::Action::version
                   : spec->kind == FlagKind::help_man ? CommandLine::Action::help_man
                                                      : CommandLine::Action::help_config;
      continue;
    }
    if (takes_value(*spec) && !value) {
      if (i + 1 >= args.size()) return usage_error(std::string(spec->name) + " needs a value (" + value_hint(*spec) + ")");
      value = args[++i];
    }
    given[static_cast<std::size_t>(spec - table.data())] = value ? std::move(value) : std::string();
  }
  if (out.action != CommandLine::Action::run) return out;

  // The config file: --config, else DBGCOORD_CONFIG, else the default one if it exists.
  std::vector<std::optional<ConfigFileEntry>> from_file(table.size());
  std::vector<std::string> file_problems;
  {
    std::optional<std::string> named;
    std::optional<std::string> env_name;
    for (std::size_t i = 0; i < table.size(); ++i) {
      if (table[i].field != ConfigField{&Config::config_file}) continue;
      named = given[i];
      if (!named) {
        env_name = env(std::string(table[i].env));
        if (env_name && env_name->empty()) env_name.reset();
        named = env_name;
      }
    }
    const bool explicit_name = named.has_value();
    const std::filesystem::path path = named ? std::filesystem::path(*named) : std::filesystem::path(kDefaultConfigFile);
    if (!path.empty()) {
      FileRead read = files(path);
      if (!read.found) {
        if (explicit_name) {
          file_problems.push_back(path.string() + ": cannot read the config file: No such file or directory" +
                                  (env_name ? " (from DBGCOORD_CONFIG)" : ""));
        }
      } else if (!read.error.empty()) {
        file_problems.push_back(path.string() + ": cannot read the config file: " + read.error);
      } else {
        out.config_file_read = path;
        ParsedConfigFile parsed = parse_config_file(read.text, path.string());
        file_problems = std::move(parsed.problems);
        for (ConfigFileEntry& entry : parsed.entries) from_file[entry.flag] = std::move(entry);
      }
    }
  }

  // Then each flag: its word, else its environment variable, else the file, else Config's default.
  std::vector<std::size_t> line_of(table.size(), 0);
  for (std::size_t i = 0; i < table.size(); ++i) {
    const FlagSpec& spec = table[i];
    std::optional<std::string> text = std::move(given[i]);
    bool from_env = false;
    if (!text && !spec.env.empty() && takes_value(spec)) {
      text = env(std::string(spec.env));
      if (text && text->empty()) text.reset();
      from_env = text.has_value();
    }
    if (!text && from_file[i]) {
      // Checked by parse_config_file already.
      (void)apply_file_value(spec, from_file[i]->value, out.config);
      line_of[i] = from_file[i]->line;
      continue;
    }
    if (!text) continue;
    if (auto error = apply_flag(spec, *text, out.config)) {
      // The message names the flag, and the variable when the value came from there.
      return usage_error(std::string(spec.name) + ": " + *error +
                         (from_env ? " (from " + std::string(spec.env) + ")" : std::string()));
    }
  }

  if (!out.config.listen.is_loopback() && !out.config.allow_remote) {
    std::string where;
    for (std::size_t i = 0; i < table.size(); ++i) {
      if (table[i].field == ConfigField{&Config::listen} && line_of[i] != 0 && out.config_file_read) {
        where = out.config_file_read->string() + ":" + std::to_string(line_of[i]) + ": ";
      }
    }
    std::string message = where + "refusing to listen on " + out.config.listen.to_string() +
                          ": not a loopback address, and this API can read the memory of any process "
                          "it may trace; add --allow-remote (allow-remote = on) if that is intended";
    if (!out.config.check_config) return usage_error(std::move(message));
    file_problems.push_back(std::move(message));
  }
  if (out.config.check_config) {
    out.action = CommandLine::Action::check_config;
    out.problems = std::move(file_problems);
    return out;
  }
  if (!file_problems.empty()) {
    std::string message = file_problems.front();
    if (file_problems.size() > 1) {
      message += " (and " + std::to_string(file_problems.size() - 1) + " more; dbgcoord --check-config lists them)";
    }
    return usage_error(std::move(message));
  }
  return out;
}

std::string_view version() { return DBGCOORD_VERSION; }

std::size_t Config::default_workers() {
  long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  std::size_t n = cores > 0 ? static_cast<std::size_t>(cores) * 4 : 4;
  return n < kMaxWorkers ? n : kMaxWorkers;
}

std::size_t Config::default_io_threads() {
  // Half the cores, at most 4: the rest belongs to the workers (the ptrace work), the store's
  // writer and the targets themselves. Measured on 2 cores: a second io thread made /healthz's
  // p99 under light load 2.9 ms instead of 0.35 ms (io threads preempting each other) and did
  // not make sessions faster; beyond a few threads the io work stops scaling anyway.
  long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  std::size_t n = cores > 1 ? static_cast<std::size_t>(cores) / 2 : 1;
  return n < 4 ? n : 4;
}

}  // namespace dbg::coord
