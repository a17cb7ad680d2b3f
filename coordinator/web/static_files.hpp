#pragma once
// The dashboard's static files (web/, embedded at build time by embed_web.cmake), served at "/"
// without a token: they hold no data, and the page itself sends the token on every /api call.
// Every answer carries a strict Content-Security-Policy (this server only: no inline script or
// style, no other origin), Cache-Control: no-cache with an ETag (the files change with the
// binary, so the browser revalidates and gets a cheap 304), nosniff and no-referrer (the first
// load's URL carries ?token=, which must not leak in a Referer).
#include <span>
#include <string>
#include <string_view>

#include "coordinator/http/message.hpp"

namespace dbg::coord::http {
class Router;
}

namespace dbg::coord::web {

struct EmbeddedFile {
  std::string_view path;     // URL path, "/index.html"
  std::string_view content;  // the file's bytes
};

// Generated from web/ (embedded_web.cpp).
std::span<const EmbeddedFile> embedded_files();

// "text/javascript; charset=utf-8" for "/js/main.js"; empty for an extension we do not serve.
std::string_view content_type_for(std::string_view path);

// The headers every static answer carries (the CSP among them), for tests and the routes.
inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// The answer to GET `request` for `file`: 200 with the content, or 304 when If-None-Match names
// the file's current ETag.
http::HttpResponse serve_file(const EmbeddedFile& file, const http::HttpRequest& request);

// GET (and HEAD) routes for every file, and "/" for /index.html. Throws std::invalid_argument
// when a file has no known Content-Type (a build mistake, found at start-up).
void add_static_routes(http::Router& router, std::span<const EmbeddedFile> files = embedded_files());

}  // namespace dbg::coord::web
