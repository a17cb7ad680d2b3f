#pragma once
// RFC 9457 problem details: every error the API returns is one of these, so clients parse a
// single shape ({"type", "title", "status", "detail"}, application/problem+json).
#include <string>
#include <string_view>

#include "coordinator/http/message.hpp"

namespace dbg::coord::http {

// The standard reason phrase for a status code ("Not Found"); "Error" when unknown.
std::string_view reason_phrase(unsigned status);

// A problem response with type "about:blank", whose title must then be the status phrase
// (RFC 9457 4.2.1); detail says what went wrong in this request.
HttpResponse problem(unsigned status, std::string_view detail);

// 401 with "WWW-Authenticate: Bearer": the answer to any request without a valid API token.
HttpResponse unauthorized();

}  // namespace dbg::coord::http
