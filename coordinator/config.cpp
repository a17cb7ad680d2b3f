#include "coordinator/config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstdlib>

namespace dbg::coord {

namespace {

constexpr std::string_view kListenEnv = "DBGCOORD_LISTEN";
constexpr std::string_view kDataDirEnv = "DBGCOORD_DATA_DIR";

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

CommandLine parse_command_line(const std::vector<std::string>& args, const EnvLookup& env) {
  CommandLine out;
  auto usage_error = [&](std::string message) {
    out.action = CommandLine::Action::usage_error;
    out.error = std::move(message);
    return out;
  };

  std::optional<std::string> listen_text;
  std::optional<std::string> data_dir_text;

  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      // Help wins over everything else on the line, even errors, so that a user who is
      // already confused gets the text and not one more error.
      out.action = CommandLine::Action::help;
      return out;
    }
  }

  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    // Flags with a value accept both "--flag value" and "--flag=value".
    auto value_of = [&](std::string_view flag, std::optional<std::string>* slot) -> int {
      if (arg == flag) {
        if (i + 1 >= args.size()) return -1;
        *slot = args[++i];
        return 1;
      }
      if (arg.size() > flag.size() && arg.compare(0, flag.size(), flag) == 0 && arg[flag.size()] == '=') {
        *slot = arg.substr(flag.size() + 1);
        return 1;
      }
      return 0;
    };
    int r = value_of("--listen", &listen_text);
    if (r < 0) return usage_error("--listen needs a value (HOST:PORT)");
    if (r > 0) continue;
    r = value_of("--data-dir", &data_dir_text);
    if (r < 0) return usage_error("--data-dir needs a value (a directory)");
    if (r > 0) continue;
    if (arg == "--allow-remote") {
      out.config.allow_remote = true;
    } else if (arg == "--version") {
      out.action = CommandLine::Action::version;
    } else if (arg.size() > 1 && arg[0] == '-') {
      return usage_error("unknown flag '" + arg + "'");
    } else {
      return usage_error("unexpected argument '" + arg + "'");
    }
  }
  if (out.action == CommandLine::Action::version) return out;

  auto from_env = [&](std::string_view name) -> std::optional<std::string> {
    auto value = env(std::string(name));
    if (!value || value->empty()) return std::nullopt;
    return value;
  };

  std::string listen_source = "--listen";
  if (!listen_text) {
    listen_text = from_env(kListenEnv);
    listen_source = std::string(kListenEnv);
  }
  if (listen_text) {
    std::string error;
    auto address = parse_listen_address(*listen_text, &error);
    if (!address) return usage_error(listen_source + ": " + error);
    out.config.listen = *address;
  }

  if (!data_dir_text) data_dir_text = from_env(kDataDirEnv);
  if (data_dir_text) {
    if (data_dir_text->empty()) return usage_error("--data-dir: the directory must not be empty");
    out.config.data_dir = *data_dir_text;
  }

  if (!out.config.listen.is_loopback() && !out.config.allow_remote) {
    return usage_error("refusing to listen on " + out.config.listen.to_string() +
                       ": not a loopback address, and this API can read the memory of any process "
                       "it may trace; add --allow-remote if that is intended");
  }
  return out;
}

std::string help_text() {
  return R"(usage: dbgcoord [--listen HOST:PORT] [--data-dir DIR] [--allow-remote] [--help] [--version]

dbgcoord coordinates debugging workers (stack snapshots, profiles, crash watches) on this host
and serves them over HTTP.

flags:
  --listen HOST:PORT  address to serve HTTP on; HOST is an IPv4 address, [IPv6] or localhost,
                      PORT 0 picks a free port (the startup line shows it)
                      (env DBGCOORD_LISTEN, default 127.0.0.1:7070)
  --data-dir DIR      directory for the database (DIR/dbgcoord.db); created with mode 0700
                      if missing (env DBGCOORD_DATA_DIR, default ./data)
  --allow-remote      allow a non-loopback --listen address; anyone who can reach the port can
                      read the memory of the processes this server may trace
  --help, -h          print this help and exit
  --version           print the version and exit

Flags take precedence over environment variables. On start dbgcoord prints one line to stdout:
  dbgcoord listening on http://HOST:PORT (data: DIR)
Logs go to stderr. SIGINT or SIGTERM stop it gracefully.

exit status: 0 stopped by a signal or --help; 1 runtime failure (address in use, database
newer than this version, unusable data directory); 2 bad flag or value.
)";
}

std::string_view version() { return DBGCOORD_VERSION; }

}  // namespace dbg::coord
