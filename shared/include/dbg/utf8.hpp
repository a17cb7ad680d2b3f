#pragma once
// UTF-8 well-formedness, one byte sequence at a time. Names, paths and messages come from
// targets and users as bytes, not text; whoever puts them into JSON replaces what is not UTF-8.
#include <cstddef>
#include <string>
#include <string_view>

namespace dbg {

// Length of the well-formed UTF-8 sequence starting at s[i] (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 when none starts there. i < s.size().
std::size_t utf8_sequence_length(std::string_view s, std::size_t i);

// The longest prefix of s of at most max_bytes bytes that does not end inside a multi-byte
// sequence: a cut message stays valid UTF-8 (if it was) instead of ending in half a character.
std::string_view utf8_prefix_bytes(std::string_view s, std::size_t max_bytes);
// The same, in place.
void utf8_cut_bytes(std::string& s, std::size_t max_bytes);
// The prefix of s of at most max_chars code points (counted by their lead bytes).
std::string_view utf8_prefix_chars(std::string_view s, std::size_t max_chars);

inline constexpr std::string_view kUtf8Replacement = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace dbg
