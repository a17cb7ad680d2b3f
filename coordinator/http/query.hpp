#pragma once
// Reading "a=1&b=x%2Cy" query strings. Values are percent-decoded; '+' stays a '+' (it is a
// space only in HTML form bodies, and tokens and topic lists may contain it literally).
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace dbg::coord::http {

// Decodes %XX escapes. nullopt when an escape is malformed ("%4", "%zz").
std::optional<std::string> percent_decode(std::string_view text);

// The decoded value of the first "name=value" (or bare "name": empty value) in query; nullopt
// when the name is absent or its value is malformed.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

// Whether name appears in query at all (with or without a value, well-formed or not).
bool query_has(std::string_view query, std::string_view name);

// The query parameters a route takes. Every /api route declares them, and a request naming any
// other is refused with 400, so that "?stauts=open" never answers as if no filter was given.
// kTokenParameter is allowed everywhere: it is the event stream's credential (auth/token.hpp),
// and a client may well put it on every URL it sends.
using AllowedParams = std::initializer_list<std::string_view>;
inline constexpr std::string_view kTokenParameter = "token";

// nullopt when every parameter name in query (percent-decoded) is allowed; else why not:
// `unknown query parameter "x" (allowed: limit, match)`.
std::optional<std::string> refuse_unknown_parameters(std::string_view query, AllowedParams allowed);

}  // namespace dbg::coord::http
