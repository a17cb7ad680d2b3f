#include "coordinator/web/static_files.hpp"

#include <cstdint>
#include <cstdio>
#include <stdexcept>

#include "coordinator/http/router.hpp"

namespace dbg::coord::web {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// A strong validator from the bytes (FNV-1a 64): equal content, equal tag, so a rebuilt binary
// with unchanged files keeps the browser's cache valid.
std::string etag_of(std::string_view content) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : content) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
  return buf;
}

// If-None-Match is a list of tags or "*" (RFC 9110 13.1.2); a weak "W/" prefix still matches
// for GET (weak comparison).
bool none_match_hits(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    auto comma = header.find(',');
    auto item = header.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.substr(0, 2) == "W/") item.remove_prefix(2);
    if (item == "*" || item == etag) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

std::string_view content_type_for(std::string_view path) {
  if (ends_with(path, ".html")) return "text/html; charset=utf-8";
  if (ends_with(path, ".js")) return "text/javascript; charset=utf-8";
  if (ends_with(path, ".css")) return "text/css; charset=utf-8";
  if (ends_with(path, ".svg")) return "image/svg+xml";
  if (ends_with(path, ".json")) return "application/json";
  return {};
}

http::HttpResponse serve_file(const EmbeddedFile& file, const http::HttpRequest& request) {
  http::HttpResponse response;
  auto etag = etag_of(file.content);
  response.content_type = std::string(content_type_for(file.path));
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.headers.emplace_back("ETag", etag);
  response.headers.emplace_back("Content-Security-Policy", std::string(kContentSecurityPolicy));
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("X-Frame-Options", "DENY");
  if (auto inm = request.header("If-None-Match"); inm && none_match_hits(*inm, etag)) {
    response.status = 304;
    return response;
  }
  response.body = std::string(file.content);
  return response;
}

void add_static_routes(http::Router& router, std::span<const EmbeddedFile> files) {
  for (const auto& file : files) {
    if (content_type_for(file.path).empty()) {
      throw std::invalid_argument("dashboard file without a known Content-Type: " + std::string(file.path));
    }
    // The span points at static storage (the generated table), so capturing the element is safe.
    auto handler = [&file](const http::HttpRequest& request) { return serve_file(file, request); };
    router.add("GET", file.path, handler);
    if (file.path == "/index.html") router.add("GET", "/", handler);
  }
}

}  // namespace dbg::coord::web
