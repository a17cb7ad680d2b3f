#pragma once
// The API token: whoever holds it can read the memory of every process this server may trace,
// so it guards every /api route and /metrics.
//
// Where it comes from: --token-file FILE (env DBGCOORD_TOKEN_FILE), which must exist, be a
// regular file, grant nothing to group or others, and hold at least kMinTokenLength printable
// characters (surrounding whitespace is trimmed). Without it, DATA_DIR/token: created at first
// start from 32 random bytes (getrandom(2)), hex-encoded, mode 0600, and reused on later
// starts.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "coordinator/http/message.hpp"

namespace dbg::coord::auth {

inline constexpr std::size_t kMinTokenLength = 16;
inline constexpr std::string_view kTokenFileName = "token";
inline constexpr std::string_view kTokenCookie = "dbgcoord_token";

struct TokenSource {
  std::string token;
  std::filesystem::path path;  // the file it was read from or written to
  bool generated = false;      // true: created by this start
};

// Throws std::runtime_error naming the file and what is wrong with it (missing, a directory,
// readable by others, too short, binary), or why it could not be created.
TokenSource load_or_create_token(const std::filesystem::path& data_dir,
                                 const std::optional<std::filesystem::path>& token_file);

// One log line saying where the token is (never the token itself: logs travel further than a
// 0600 file).
std::string token_notice(const TokenSource& source);

// Equality whose running time does not depend on where the strings differ, so a client cannot
// find the token byte by byte by timing 401s.
bool token_equals(std::string_view a, std::string_view b);

// The token a request carries: "Authorization: Bearer T" (scheme case-insensitive, RFC 9110
// 11.1); when allow_browser_forms also "?token=T" in the query or the cookie
// "dbgcoord_token=T", because browsers cannot set headers on a WebSocket. Only the event stream
// allows those: it checks Origin, while a cookie accepted on the REST routes would let any web
// page the operator visits send requests with it (CSRF).
std::optional<std::string> request_token(const http::HttpRequest& request, bool allow_browser_forms);

// A check for Router::set_auth and ServerContext::events_auth: true when the request carries
// exactly this token.
std::function<bool(const http::HttpRequest&)> token_check(std::string token, bool allow_browser_forms);

}  // namespace dbg::coord::auth
