#pragma once
// Reading "a=1&b=x%2Cy" query strings. Values are percent-decoded; '+' stays a '+' (it is a
// space only in HTML form bodies, and tokens and topic lists may contain it literally).
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

}  // namespace dbg::coord::http
