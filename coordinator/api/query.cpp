#include "coordinator/api/query.hpp"

#include "coordinator/http/query.hpp"

#include <cerrno>
#include <charconv>
#include <cstdlib>

namespace dbg::coord::api {

std::optional<int64_t> parse_route_id(std::string_view text) {
  int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

Result<QueryParams> parse_query(std::string_view query) {
  QueryParams out;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto key = http::percent_decode(pair.substr(0, eq));
    auto value = http::percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!key || !value) return Error{"bad_request", "malformed percent-escape in the query string"};
    if (!out.emplace(*key, *value).second) return Error{"bad_request", "query parameter \"" + *key + "\" given twice"};
  }
  return out;
}

Result<QueryParams> parse_query(std::string_view query, http::AllowedParams allowed) {
  auto q = parse_query(query);
  if (!q) return q;
  if (auto refusal = http::refuse_unknown_parameters(query, allowed)) return Error{"bad_request", std::move(*refusal)};
  return q;
}

Result<long long> int_param(const QueryParams& q, std::string_view name, long long fallback, long long min, long long max) {
  auto it = q.find(name);
  if (it == q.end()) return fallback;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (errno != 0 || end == it->second.c_str() || *end != '\0' || v < min || v > max)
    return Error{"bad_request", "\"" + std::string(name) + "\" must be an integer in " + std::to_string(min) + ".." +
                                    std::to_string(max)};
  return v;
}

Result<TimeWindowParams> time_window_params(const QueryParams& q) {
  TimeWindowParams out;
  auto since = int_param(q, "since", 0, 0, INT64_MAX);
  if (!since) return Error{"bad_request", "\"since\" must be a unix time in milliseconds (a non-negative integer)"};
  out.since_ms = since.value();
  auto limit = int_param(q, "limit", 100, 1, 1000);
  if (!limit) return limit.error();
  out.limit = static_cast<int>(limit.value());
  return out;
}

}  // namespace dbg::coord::api
