#pragma once
// Query-string parameters of API requests ("?format=text&group=stack"), all at once, percent-
// decoded by http::percent_decode ('+' stays '+': regexes in ?match= use it literally).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "coordinator/http/query.hpp"
#include "dbg/error.hpp"

namespace dbg::coord::api {

using QueryParams = std::map<std::string, std::string, std::less<>>;

// The {id} of a route path ("/api/v1/errors/{id}"): a positive decimal integer with nothing
// around it, or nullopt (the route then answers 404 or 400, as its contract says).
std::optional<int64_t> parse_route_id(std::string_view text);

// Error "bad_request" on malformed percent-escapes or a repeated parameter.
Result<QueryParams> parse_query(std::string_view query);
// What routes call: parse_query, and also "bad_request" for a parameter not in allowed (nor
// "token": http::refuse_unknown_parameters). parse_query(req.query, {}) for a route that
// takes none.
Result<QueryParams> parse_query(std::string_view query, http::AllowedParams allowed);
// An integer parameter within [min, max]; `fallback` when absent.
Result<long long> int_param(const QueryParams& q, std::string_view name, long long fallback, long long min, long long max);

// The paging pair of the list routes over time (error groups, archives): "since" a unix time in
// ms (default 0: everything) and "limit" 1..1000 (default 100), with the same messages on both.
struct TimeWindowParams {
  int64_t since_ms = 0;
  int limit = 100;
};
Result<TimeWindowParams> time_window_params(const QueryParams& q);

}  // namespace dbg::coord::api
