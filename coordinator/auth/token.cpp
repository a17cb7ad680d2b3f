#include "coordinator/auth/token.hpp"

#include <fcntl.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "coordinator/http/query.hpp"
#include "dbg/unique_fd.hpp"

namespace dbg::coord::auth {

namespace {

namespace fs = std::filesystem;

// Far more than a token needs; a bigger file is a wrong path (a log, a binary), not a token.
constexpr std::size_t kMaxTokenFileBytes = 4096;
constexpr std::size_t kGeneratedBytes = 32;

[[noreturn]] void fail(const fs::path& path, const std::string& what) {
  throw std::runtime_error("token file " + path.string() + " " + what);
}

std::string errno_text(int error) { return std::strerror(error); }

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// The token must travel unchanged in a header, a query string and a cookie: one word of
// printable ASCII.
bool is_token_text(std::string_view s) {
  for (char c : s) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

// Reads and validates a token file. O_NONBLOCK: opening a FIFO given by mistake must not hang
// the start; fstat on the open descriptor, not stat on the name, so the file checked is the
// file read.
std::string read_token_file(const fs::path& path, bool follow_symlinks) {
  int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (follow_symlinks ? 0 : O_NOFOLLOW);
  UniqueFd fd(::open(path.c_str(), flags));
  if (!fd.valid()) {
    int error = errno;
    if (error == ENOENT) fail(path, "does not exist");
    if (error == ELOOP && !follow_symlinks) fail(path, "is a symbolic link; remove it to generate a new token");
    fail(path, "cannot be opened: " + errno_text(error));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail(path, "cannot be inspected: " + errno_text(errno));
  if (!S_ISREG(st.st_mode)) fail(path, "is not a regular file");
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    fail(path, std::string("is accessible by group or others (mode ") + mode + "); run: chmod 600 " + path.string());
  }
  if (static_cast<std::size_t>(st.st_size) > kMaxTokenFileBytes) {
    fail(path, "is larger than " + std::to_string(kMaxTokenFileBytes) + " bytes; it should hold one token");
  }
  std::string content;
  std::array<char, 1024> chunk{};
  for (;;) {
    ssize_t n = ::read(fd.get(), chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(path, "cannot be read: " + errno_text(errno));
    if (n == 0) break;
    content.append(chunk.data(), static_cast<std::size_t>(n));
    if (content.size() > kMaxTokenFileBytes) {
      fail(path, "is larger than " + std::to_string(kMaxTokenFileBytes) + " bytes; it should hold one token");
    }
  }
  auto token = trim(content);
  if (token.size() < kMinTokenLength) {
    fail(path, "holds " + std::to_string(token.size()) + " characters after trimming whitespace; a token needs at least " +
                   std::to_string(kMinTokenLength));
  }
  if (!is_token_text(token)) {
    fail(path, "contains whitespace or non-printable characters inside the token; a token is one word of printable ASCII");
  }
  return std::string(token);
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  std::size_t filled = 0;
  while (filled < raw.size()) {
    // Flags 0: the urandom source, which blocks only until the kernel's pool is first seeded
    // (getrandom(2)); requests up to 256 bytes are then never short, the loop is for EINTR.
    ssize_t n = ::getrandom(raw.data() + filled, raw.size() - filled, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error("getrandom failed: " + errno_text(errno));
    filled += static_cast<std::size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes * 2);
  for (unsigned char byte : raw) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 0xf]);
  }
  return hex;
}

// Writes the token to a private temporary file, then link(2)s it into place: the name appears
// complete or not at all (a crash mid-write cannot leave a short token that fails every later
// start), and link never replaces an existing file, so two servers starting at once on the
// same directory end up sharing one token. Returns false when the file already existed.
bool create_token_file(const fs::path& path, const std::string& token) {
  std::string temp = (path.parent_path() / ".token.XXXXXX").string();
  // mkstemp: O_CREAT | O_EXCL with mode 0600 (glibc), so the token is never readable by others,
  // not even for an instant.
  UniqueFd fd(::mkstemp(temp.data()));
  if (!fd.valid()) {
    throw std::runtime_error("cannot create the token file in " + path.parent_path().string() + ": " + errno_text(errno));
  }
  struct Unlink {
    std::string name;
    ~Unlink() { ::unlink(name.c_str()); }
  } cleanup{temp};
  std::string content = token + "\n";
  std::size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd.get(), content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error("cannot write " + temp + ": " + errno_text(errno));
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0 || fd.close() != 0) {
    throw std::runtime_error("cannot write " + temp + ": " + errno_text(errno));
  }
  if (::link(temp.c_str(), path.c_str()) != 0) {
    if (errno == EEXIST) return false;
    throw std::runtime_error("cannot create token file " + path.string() + ": " + errno_text(errno));
  }
  // The new name is durable only once the directory is synced; a token that vanishes after a
  // power cut would silently lock every script out.
  UniqueFd dir(::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.valid()) ::fsync(dir.get());
  return true;
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && ::strncasecmp(text.data(), prefix.data(), prefix.size()) == 0;
}

bool is_header(const std::string& name, std::string_view wanted) {
  return name.size() == wanted.size() && iequals_prefix(name, wanted);
}

std::optional<std::string> bearer_token(std::string_view value) {
  value = trim(value);
  constexpr std::string_view kScheme = "Bearer";
  if (!iequals_prefix(value, kScheme) || value.size() <= kScheme.size() || value[kScheme.size()] != ' ') {
    return std::nullopt;
  }
  auto token = trim(value.substr(kScheme.size() + 1));
  if (token.empty()) return std::nullopt;
  return std::string(token);
}

// "a=1; dbgcoord_token=T; b=2" (RFC 6265 4.2.1); a value may be in double quotes.
std::optional<std::string> cookie_token(std::string_view cookies) {
  while (!cookies.empty()) {
    auto semicolon = cookies.find(';');
    auto pair = trim(cookies.substr(0, semicolon));
    cookies = semicolon == std::string_view::npos ? std::string_view() : cookies.substr(semicolon + 1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || trim(pair.substr(0, eq)) != kTokenCookie) continue;
    auto value = trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    if (!value.empty()) return std::string(value);
  }
  return std::nullopt;
}

}  // namespace

TokenSource load_or_create_token(const fs::path& data_dir, const std::optional<fs::path>& token_file) {
  if (token_file) {
    // The operator named this file: symlinks are theirs to use (a mounted secret usually is one).
    return TokenSource{read_token_file(*token_file, true), *token_file, false};
  }
  fs::path path = data_dir / kTokenFileName;
  // Two rounds at most: a file that appears between our open and our link was written by a
  // server starting at the same moment, and is read in the second round.
  for (int round = 0; round < 2; ++round) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 || errno != ENOENT) {
      // In the data directory only we write; a symlink there is not ours and is refused.
      return TokenSource{read_token_file(path, false), path, false};
    }
    std::string token = random_hex(kGeneratedBytes);
    if (create_token_file(path, token)) return TokenSource{std::move(token), path, true};
  }
  return TokenSource{read_token_file(path, false), path, false};
}

std::string token_notice(const TokenSource& source) {
  if (source.generated) {
    return "API token generated in " + source.path.string() +
           " (mode 0600); send it as 'Authorization: Bearer <token>' on /api and /metrics";
  }
  return "API token read from " + source.path.string() + "; send it as 'Authorization: Bearer <token>' on /api and /metrics";
}

bool token_equals(std::string_view a, std::string_view b) {
  // Every byte of the longer string is visited whatever the contents; only the lengths (not
  // secret: generated tokens are always 64 characters) shape the loop. volatile keeps the
  // compiler from turning the accumulation back into an early exit.
  volatile unsigned char diff = a.size() == b.size() ? 0 : 1;
  std::size_t n = a.size() > b.size() ? a.size() : b.size();
  for (std::size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff = static_cast<unsigned char>(diff | (x ^ y));
  }
  return diff == 0;
}

std::optional<std::string> request_token(const http::HttpRequest& request, bool allow_browser_forms) {
  for (const auto& [name, value] : request.headers) {
    if (!is_header(name, "Authorization")) continue;
    if (auto token = bearer_token(value)) return token;
  }
  if (!allow_browser_forms) return std::nullopt;
  if (auto token = http::query_param(request.query, "token"); token && !token->empty()) return token;
  for (const auto& [name, value] : request.headers) {
    if (!is_header(name, "Cookie")) continue;
    if (auto token = cookie_token(value)) return token;
  }
  return std::nullopt;
}

std::function<bool(const http::HttpRequest&)> token_check(std::string token, bool allow_browser_forms) {
  // An empty or short expected token would make a missing one compare equal, or be guessable:
  // refuse it here rather than serve an open API.
  if (token.size() < kMinTokenLength) throw std::invalid_argument("API token shorter than the minimum length");
  return [token = std::move(token), allow_browser_forms](const http::HttpRequest& request) {
    auto presented = request_token(request, allow_browser_forms);
    return presented && token_equals(*presented, token);
  };
}

}  // namespace dbg::coord::auth
