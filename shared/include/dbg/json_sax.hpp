#pragma once
// json_sax::parse: any JSON document (RFC 8259) as events for a handler, without a DOM. It drives
// dbg/json_cursor.hpp (the strict, bounded lexer the error ingest also runs on) and never
// recurses: depth is the handler's to bound, it sees every start_object/start_array.
//
// Why not nlohmann::json::sax_parse: its lexer pulls the input one character at a time through
// an input adapter and grows every string by push_back; on the coordinator's hot path (a
// snapshot answer per target, ~5-20 KB each) that was a fifth of the coordinator's CPU.
//
// Integers that fit go to number_integer (negative) or number_unsigned, other numbers to
// number_float, as nlohmann reports them. tests/unit/json_sax_test.cpp checks it against
// nlohmann on valid and invalid documents, and the snapshot_wire fuzz target compares the two
// on random input.
//
// Handler: bool null(); bool boolean(bool); bool number_integer(int64_t);
// bool number_unsigned(uint64_t); bool number_float(double); bool string(std::string&);
// bool key(std::string&); bool start_object(); bool end_object(); bool start_array();
// bool end_array(). Returning false stops the parse (the handler keeps its own reason).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dbg/json_cursor.hpp"

namespace dbg::json_sax {

struct Outcome {
  bool ok = false;
  bool stopped_by_handler = false;  // the handler returned false: its own error applies
  std::size_t error_position = 0;   // byte offset of a syntax error
};

template <typename Handler>
Outcome parse(std::string_view text, Handler& handler) {
  JsonCursor cursor(text);
  // The closing bracket of each open container, innermost last: an explicit stack, so that a
  // deep document costs memory the handler bounds, never native stack.
  std::vector<char> open;
  std::string key;
  Outcome outcome;
  auto syntax_error = [&] {
    outcome.error_position = cursor.failed() ? cursor.error_position() : cursor.position();
    return outcome;
  };
  auto stopped = [&] {
    outcome.stopped_by_handler = true;
    outcome.error_position = cursor.position();
    return outcome;
  };
  auto end_of = [&](char close) { return close == '}' ? handler.end_object() : handler.end_array(); };

  for (;;) {
    // A value.
    const char c = cursor.peek();
    if (c == '{' || c == '[') {
      cursor.consume(c);
      const char close = c == '{' ? '}' : ']';
      if (!(c == '{' ? handler.start_object() : handler.start_array())) return stopped();
      if (cursor.consume(close)) {
        if (!end_of(close)) return stopped();
      } else {
        open.push_back(close);
        if (close == '}') {
          if (!cursor.read_key(key)) return syntax_error();
          if (!handler.key(key)) return stopped();
        }
        continue;  // the first member's or element's value
      }
    } else {
      JsonScalar v;
      if (!cursor.read_scalar(v)) return syntax_error();
      bool go_on = true;
      switch (v.kind) {
        case JsonScalar::kNull: go_on = handler.null(); break;
        case JsonScalar::kBool: go_on = handler.boolean(v.b); break;
        case JsonScalar::kInt: go_on = handler.number_integer(v.i); break;
        case JsonScalar::kUnsigned: go_on = handler.number_unsigned(v.u); break;
        case JsonScalar::kFloat: go_on = handler.number_float(v.f); break;
        case JsonScalar::kString: go_on = handler.string(*v.s); break;
      }
      if (!go_on) return stopped();
    }

    // After a value: close containers, or go on to the next member or element.
    for (;;) {
      if (open.empty()) {
        if (!cursor.at_end()) return syntax_error();  // one document, nothing after it
        outcome.ok = true;
        return outcome;
      }
      bool more = false;
      if (!cursor.next_member(open.back(), more)) return syntax_error();
      if (more) {
        if (open.back() == '}') {
          if (!cursor.read_key(key)) return syntax_error();
          if (!handler.key(key)) return stopped();
        }
        break;  // the next value
      }
      const char close = open.back();
      open.pop_back();
      if (!end_of(close)) return stopped();
    }
  }
}

}  // namespace dbg::json_sax
