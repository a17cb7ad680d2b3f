#include "coordinator/fleet/fleet_settings.hpp"

#include <sys/utsname.h>

#include <fstream>

#include "coordinator/config.hpp"

namespace dbg::coord::fleet {

namespace {

bool starts_with_any(std::string_view text, std::initializer_list<std::string_view> prefixes) {
  for (auto p : prefixes) {
    if (text.starts_with(p)) return true;
  }
  return false;
}

bool host_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

bool label_key_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

// Splits "a,b,c" without dropping empty parts (",," is an error the caller reports).
template <typename F>
void for_each_part(std::string_view text, char sep, F&& f) {
  std::size_t start = 0;
  while (true) {
    auto end = text.find(sep, start);
    f(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return;
    start = end + 1;
  }
}

}  // namespace

std::optional<std::string> check_fleet_db(std::string_view text) {
  if (text.empty()) return "the fleet database must not be empty (leave the setting out to run alone)";
  if (text.size() > 4096) return "the fleet database setting is longer than 4096 bytes";
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return "the fleet database setting contains a control character";
  }
  if (starts_with_any(text, {"postgresql://", "postgres://"})) return std::nullopt;
  // A conninfo is key=value words; libpq checks the keys themselves when it connects.
  if (text.find('=') != std::string_view::npos && text.find("://") == std::string_view::npos) return std::nullopt;
  return "is neither a postgresql:// URL nor a libpq conninfo (host=... dbname=...)";
}

std::optional<std::string> check_host_name(std::string_view text) {
  const std::string quoted = "'" + std::string(text) + "'";
  if (text.empty() || text.size() > 253) return quoted + " is not a host name of 1 to 253 characters";
  if (text.front() == '-' || text.front() == '.') return quoted + " must not start with '-' or '.'";
  for (char c : text) {
    if (!host_name_char(c)) return quoted + " is not a host name (letters, digits, '.', '-', '_')";
  }
  return std::nullopt;
}

std::optional<std::string> check_host_labels(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::optional<std::string> problem;
  std::map<std::string, int> seen;
  for_each_part(text, ',', [&](std::string_view part) {
    if (problem) return;
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) {
      problem = "label '" + std::string(part) + "' is not key=value";
      return;
    }
    const auto key = part.substr(0, eq);
    const auto value = part.substr(eq + 1);
    if (key.empty() || key.size() > 63 || !(key.front() >= 'a' && key.front() <= 'z')) {
      problem = "label key '" + std::string(key) + "' must be 1..63 of a-z, 0-9, _ starting with a letter";
      return;
    }
    for (char c : key) {
      if (!label_key_char(c)) {
        problem = "label key '" + std::string(key) + "' must be 1..63 of a-z, 0-9, _ starting with a letter";
        return;
      }
    }
    if (value.empty() || value.size() > 128 || value.find('=') != std::string_view::npos) {
      problem = "label '" + std::string(key) + "' needs a value of 1..128 characters without '='";
      return;
    }
    for (unsigned char c : value) {
      if (c < 0x21 || c == 0x7f || c == '"' || c == '\\') {
        problem = "label '" + std::string(key) + "' has a value with a space, quote or control character";
        return;
      }
    }
    if (seen[std::string(key)]++) problem = "label '" + std::string(key) + "' is given twice";
  });
  return problem;
}

std::map<std::string, std::string> parse_host_labels(std::string_view text) {
  std::map<std::string, std::string> out;
  if (text.empty()) return out;
  for_each_part(text, ',', [&](std::string_view part) {
    const auto eq = part.find('=');
    if (eq != std::string_view::npos) out[std::string(part.substr(0, eq))] = std::string(part.substr(eq + 1));
  });
  return out;
}

std::string host_name(const Config& config) {
  if (!config.host_name.empty()) return config.host_name;
  struct utsname u {};
  if (::uname(&u) == 0 && u.nodename[0] != '\0' && !check_host_name(u.nodename)) return u.nodename;
  return "localhost";
}

std::string boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id.empty() ? "unknown" : id;
}

std::string redacted_fleet_db(std::string_view text) {
  if (starts_with_any(text, {"postgresql://", "postgres://"})) {
    const auto scheme_end = text.find("://") + 3;
    std::string out(text.substr(0, scheme_end));
    auto rest = text.substr(scheme_end);
    // userinfo is everything before the last '@' of the authority (a password may hold '@').
    const auto authority_end = rest.find_first_of("/?");
    auto authority = rest.substr(0, authority_end);
    auto tail = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
    if (auto at = authority.rfind('@'); at != std::string_view::npos) {
      auto user = authority.substr(0, at);
      if (auto colon = user.find(':'); colon != std::string_view::npos) user = user.substr(0, colon);
      out += std::string(user) + (user.size() < authority.substr(0, at).size() ? ":***" : "") + "@";
      authority = authority.substr(at + 1);
    }
    out += authority;
    // Keep the path, drop the whole query (password=..., sslpassword=..., passfile paths).
    const auto q = tail.find('?');
    out += std::string(tail.substr(0, q));
    if (q != std::string_view::npos) out += "?...";
    return out;
  }
  std::string out;
  for_each_part(text, ' ', [&](std::string_view part) {
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) return;
    const auto key = part.substr(0, eq);
    if (key == "host" || key == "hostaddr" || key == "port" || key == "dbname" || key == "user") {
      out += (out.empty() ? "" : " ") + std::string(part);
    }
  });
  return out.empty() ? "(conninfo)" : out;
}

}  // namespace dbg::coord::fleet
