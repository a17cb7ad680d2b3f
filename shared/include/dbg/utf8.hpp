#pragma once
// UTF-8 well-formedness, one byte sequence at a time. Names, paths and messages come from
// targets and users as bytes, not text; whoever puts them into JSON replaces what is not UTF-8.
#include <cstddef>
#include <string_view>

namespace dbg {

// Length of the well-formed UTF-8 sequence starting at s[i] (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 when none starts there. i < s.size().
std::size_t utf8_sequence_length(std::string_view s, std::size_t i);

inline constexpr std::string_view kUtf8Replacement = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace dbg
