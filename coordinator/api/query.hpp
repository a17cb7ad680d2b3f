#pragma once
// Query-string parameters of API requests ("?format=text&group=stack"), all at once, percent-
// decoded by http::percent_decode ('+' stays '+': regexes in ?match= use it literally).
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "dbg/error.hpp"

namespace dbg::coord::api {

using QueryParams = std::map<std::string, std::string, std::less<>>;

// Error "bad_request" on malformed percent-escapes or a repeated parameter.
Result<QueryParams> parse_query(std::string_view query);
// An integer parameter within [min, max]; `fallback` when absent.
Result<long long> int_param(const QueryParams& q, std::string_view name, long long fallback, long long min, long long max);

}  // namespace dbg::coord::api
