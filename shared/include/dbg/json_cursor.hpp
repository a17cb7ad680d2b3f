#pragma once
// JsonCursor: the lexical half of a strict, bounded, hand-written JSON reader (RFC 8259). The
// error ingest path drives it by the body's schema (coordinator/errors/error_event_json.cpp);
// dbg/json_sax.hpp drives it for any document, as events for a handler (the snapshot wire). Why not
// nlohmann's SAX lexer: it copies every string, key included, byte by byte into a token buffer
// and then again into the caller's string; on a 700 KB batch of 1,000 events that was most of
// the parse thread's time. Here a string without escapes is one bounded scan and one copy, keys
// are compared in place, and nothing is allocated for what is not kept.
//
// Strict as nlohmann's parser is: whitespace is space, tab, CR, LF only; strings must be valid
// UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF) without raw control
// characters; \u escapes pair surrogates; numbers follow the JSON grammar (no leading zeros,
// no "+", no "1.", no NaN). An integer token becomes int64 (negative) or uint64; one outside
// those ranges, or with a fraction or exponent, is a float, as nlohmann reports it.
//
// Errors: every reader returns false and leaves the first failure's byte offset and reason in
// error(); callers turn that into "malformed JSON (at byte N: reason)". Nesting depth is the
// caller's to bound, except inside read_value, which bounds it itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace dbg {

// One scalar token.
struct JsonScalar {
  enum Kind { kNull, kBool, kInt, kUnsigned, kFloat, kString } kind = kNull;
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double f = 0;
  std::string* s = nullptr;  // kString: the cursor's scratch string; the caller may move it out
};

class JsonCursor {
 public:
  explicit JsonCursor(std::string_view text) : text_(text) {}

  // Skips whitespace; the next byte, or '\0' at the end of the text (a NUL byte in the text is
  // never valid outside a string, so the two are never confused by callers).
  char peek();
  // Skips whitespace and consumes `c` if it is next.
  bool consume(char c);
  // Skips whitespace and requires `c`; otherwise fails with "expected 'c'".
  bool expect(char c);
  // After a value inside a container opened by `open` ('{' or '['): true with more = true after
  // a ',', more = false after the closing bracket; false (malformed) on anything else.
  bool next_member(char close, bool& more);
  // A string token (the cursor is at its opening quote), unescaped into `out`.
  bool read_string(std::string& out);
  // A key string and its ':' (the cursor is at the key's opening quote).
  bool read_key(std::string& out);
  // A scalar token at the cursor; for strings `s` points at scratch (replaced by the next
  // string read). False if malformed or if the next token opens a container (then nothing is
  // consumed and error() is unset: the caller decides what a container means there).
  bool read_scalar(JsonScalar& out);
  // Any value as an nlohmann tree, nested at most `max_depth` more levels (containers count);
  // deeper fails with depth_exceeded() set.
  bool read_value(nlohmann::json& out, int max_depth);
  // At the end: only whitespace may follow the value.
  bool at_end();

  std::size_t position() const { return pos_; }
  std::size_t size() const { return text_.size(); }
  // The text between two positions (the raw bytes of a value, for caching by content).
  std::string_view slice(std::size_t begin, std::size_t end) const { return text_.substr(begin, end - begin); }

  // Where the container opening at the cursor ('[' or '{', after whitespace) would end: the
  // position just past its matching bracket, found by counting brackets outside strings,
  // without validating anything; npos if the text ends first or no container opens here. For
  // callers that recognize a value by its raw bytes (the error parser's cache of frames texts
  // it has already parsed): equal bytes are an equally valid value, so the span can be looked
  // up before it is parsed, and skipped (skip_to) when known.
  std::size_t raw_container_end();
  // Moves the cursor to `position` (from raw_container_end) without reading what lies between.
  void skip_to(std::size_t position) { pos_ = position; }

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  std::size_t error_position() const { return error_pos_; }
  bool depth_exceeded() const { return depth_exceeded_; }

  bool fail(std::string_view what);

 private:
  void skip_ws();
  bool read_number(JsonScalar& out);
  bool read_literal(std::string_view word);
  bool read_escape(std::string& out);
  bool read_hex4(uint32_t& out);
  // A multi-byte UTF-8 sequence starting at pos_ (its lead byte >= 0x80), appended to nothing:
  // only validated; advances pos_ past it.
  bool validate_utf8();

  std::string_view text_;
  std::size_t pos_ = 0;
  std::string scratch_;
  std::string error_;
  std::size_t error_pos_ = 0;
  bool depth_exceeded_ = false;
};

}  // namespace dbg
