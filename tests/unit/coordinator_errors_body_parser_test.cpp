// The hand-written body parser (error_event_json.cpp on json_cursor.hpp): strict JSON as
// nlohmann's parser is (nlohmann::json::accept is the oracle for what is JSON at all), the
// same "what and where" messages as the SAX parser it replaced, and its bounds.
#define BOOST_TEST_MODULE coordinator_errors_body_parser
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "coordinator/errors/error_event_json.hpp"
#include "coordinator/errors/prepared_stack.hpp"
#include "dbg/json_cursor.hpp"
#include "dbg/protocol.hpp"

using namespace dbg::coord::errors;
using nlohmann::json;

namespace {

std::string error_of(const std::string& body) {
  auto r = parse_error_body(body);
  BOOST_REQUIRE_MESSAGE(!r.ok(), "accepted: " << body);
  BOOST_TEST(r.error().code == "bad_request");
  return r.error().message;
}

bool malformed(const std::string& body) { return error_of(body).starts_with("malformed JSON"); }

std::string event_with_context(const std::string& context) { return R"({"type":"A","context":)" + context + "}"; }

}  // namespace

BOOST_AUTO_TEST_CASE(a_batch_parses_into_events_and_keeps_each_frames_text) {
  const std::string frames0 = R"([{"function":"f","module":"m","offset":"0x10","line":3},{"module":"?","pc":7}])";
  const std::string body = R"({ "events" : [ {"type":"A","message":"m","frames":)" + frames0 +
                           R"(,"pid":1,"comm":"c","timestamp":5}, {"type":"B"} ] })";
  auto r = parse_error_body(body);
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE_EQUAL(r.value().events.size(), 2u);
  BOOST_REQUIRE_EQUAL(r.value().frames_text.size(), 2u);
  BOOST_TEST(r.value().frames_text[0] == frames0);
  BOOST_TEST(r.value().frames_text[1].empty());
  const auto& e = r.value().events[0];
  BOOST_TEST(e.type == "A");
  BOOST_TEST(e.pid == 1);
  BOOST_TEST(e.timestamp_ms == 5);
  BOOST_REQUIRE_EQUAL(e.frames.size(), 2u);
  BOOST_TEST(*e.frames[0].function == "f");
  BOOST_TEST(e.frames[0].offset == 0x10u);
  BOOST_TEST(e.frames[1].module == "?");
  BOOST_TEST(e.frames[1].pc == 7u);
  BOOST_TEST(r.value().events[1].type == "B");
}

BOOST_AUTO_TEST_CASE(strings_unescape_like_nlohmann) {
  for (const std::string s : {R"("plain")", R"("q\"b\\s\/\b\f\n\r\t")", R"("\u00e9\u20AC")", R"("\ud83d\ude00 smile")",
                              R"("nul\u0000in")", "\"raw \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""}) {
    BOOST_TEST_CONTEXT(s) {
      auto r = parse_error_body(R"({"type":"A","message":)" + s + "}");
      BOOST_REQUIRE(r.ok());
      BOOST_TEST(r.value().events[0].message == json::parse(s).get<std::string>());
    }
  }
}

BOOST_AUTO_TEST_CASE(context_values_match_nlohmann) {
  const std::string ctx =
      R"({"i":-12,"u":18446744073709551615,"big":18446744073709551616,"neg0":-0,"f":2.5e-3,"tiny":1e-400,)"
      R"("t":true,"n":null,"s":"x","a":[1,[2,{}],[]],"o":{"k":{"k":1}},"dup":1,"dup":2})";
  auto r = parse_error_body(event_with_context(ctx));
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r.value().events[0].context == json::parse(ctx));
}

BOOST_AUTO_TEST_CASE(what_is_not_json_is_malformed) {
  const std::vector<std::string> bad = {
      "", "   ", "{", R"({"type")", R"({"type":)", R"({"type":"A")", R"({"type":"A",})", R"({"type" "A"})",
      R"({"type":"A" "message":"m"})", R"({type:"A"})", R"({'type':'A'})", R"({"type":"A"} x)", R"({"type":"A"}{})",
      R"({"type":"unterminated})", R"({"type":"bad \q escape"})", R"({"type":"\u12"})", R"({"type":"\uZZZZ"})",
      R"({"type":"\ud800"})", R"({"type":"\ud800\u0041"})", R"({"type":"\udc00"})",
      "{\"type\":\"ctl \x01 char\"}", "{\"type\":\"tab\tinside\"}",
      "{\"type\":\"\xff\"}", "{\"type\":\"\xc3\"}", "{\"type\":\"\xc0\xaf\"}", "{\"type\":\"\xe0\x80\xaf\"}",
      "{\"type\":\"\xed\xa0\x80\"}", "{\"type\":\"\xf4\x90\x80\x80\"}", "{\"type\":\"\xf5\x80\x80\x80\"}",
      "{\"type\":\"\x80\"}",
      R"({"type":"A","pid":01})", R"({"type":"A","pid":1.})", R"({"type":"A","pid":.5})", R"({"type":"A","pid":+1})",
      R"({"type":"A","pid":-})", R"({"type":"A","pid":1e})", R"({"type":"A","pid":NaN})", R"({"type":"A","pid":tru})",
      R"({"type":"A","pid":nul})", R"({"type":"A","frames":[{"line":1},]})", R"({"type":"A","frames":[{,}]})",
      R"({"events":[{"type":"A"},]})", R"({"events":[{"type":"A"}})",
      event_with_context("{\"x\":1e400}"), event_with_context("{\"x\":[1,]}"), event_with_context("{\"x\"}"),
      event_with_context("{\"x\":-01}")};
  for (const auto& body : bad) {
    BOOST_TEST_CONTEXT(json(body).dump(-1, ' ', true, json::error_handler_t::replace)) {
      BOOST_TEST(!json::accept(body));  // the oracle agrees it is not JSON
      BOOST_TEST(malformed(body));
    }
  }
  // Stricter than nlohmann, which stops reading at a NUL byte after the value: a body is its
  // Content-Length bytes, all of them JSON.
  BOOST_TEST(malformed(std::string("{\"type\":\"A\"}\0", 13)));
  BOOST_TEST(error_of(R"({"type":"A"} x)") == "malformed JSON (at byte 13: unexpected data after the JSON value)");
}

BOOST_AUTO_TEST_CASE(schema_errors_read_as_before) {
  // The SAX parser's messages, verbatim (docs/api.md and clients rely on them).
  BOOST_TEST(error_of(R"([1,2])") == "body: the body must be an event object or {\"events\":[…]}");
  BOOST_TEST(error_of(R"(12)") == "body: the body must be an event object or {\"events\":[…]}");
  BOOST_TEST(error_of(R"({})") == "body: \"type\" is required");
  BOOST_TEST(error_of(R"({"type":""})") == "body.type: must not be empty");
  BOOST_TEST(error_of(R"({"type":5})") == "body.type: must be a string");
  BOOST_TEST(error_of(R"({"type":{}})") == "body.type: must be a string");
  BOOST_TEST(error_of(R"({"type":"A","message":[]})") == "body.message: must be a string");
  BOOST_TEST(error_of(R"({"type":"A","comm":null})") == "body.comm: must be a string");
  BOOST_TEST(error_of(R"({"type":"A","timestamp":-1})") == "body.timestamp: must be a non-negative integer (unix ms)");
  BOOST_TEST(error_of(R"({"type":"A","timestamp":1.5})") == "body.timestamp: must be a non-negative integer (unix ms)");
  BOOST_TEST(error_of(R"({"type":"A","timestamp":9223372036854775808})") ==
             "body.timestamp: must be a non-negative integer (unix ms)");
  BOOST_TEST(error_of(R"({"type":"A","frames":"main"})") == "body.frames: must be an array of frames");
  BOOST_TEST(error_of(R"({"type":"A","frames":{}})") == "body.frames: must be an array of frames");
  BOOST_TEST(error_of(R"({"type":"A","frames":["main"]})") == "body.frames[0]: a frame must be an object");
  BOOST_TEST(error_of(R"({"type":"A","frames":[{"function":7}]})") == "body.frames[0].function: must be a string or null");
  BOOST_TEST(error_of(R"({"type":"A","frames":[{"file":[]}]})") == "body.frames[0].file: must be a string or null");
  BOOST_TEST(error_of(R"({"type":"A","frames":[{"module":null}]})") == "body.frames[0].module: must be a string");
  BOOST_TEST(error_of(R"({"type":"A","frames":[{"offset":-5}]})") == "body.frames[0].offset: must not be negative");
  BOOST_TEST(error_of(R"({"type":"A","frames":[{"pc":"12ab"}]})") ==
             "body.frames[0].pc: must be a non-negative integer or a hex string like \"0x1a2b\"");
  BOOST_TEST(error_of(R"({"type":"A","frames":[{"line":"12"}]})") == "body.frames[0].line: must be a non-negative integer or null");
  BOOST_TEST(error_of(R"({"type":"A","frames":[{"inlined":"yes"}]})") == "body.frames[0].inlined: must be a boolean");
  BOOST_TEST(error_of(R"({"type":"A","frames":[{"line":1,"line":2}]})") == "body.frames[0]: field \"line\" given twice");
  BOOST_TEST(error_of(R"({"type":"A","frames":[{},{"address":"0x1"}]})") ==
             "body.frames[1]: unknown field \"address\" (function, module, offset, file, line, pc, inlined)");
  BOOST_TEST(error_of(R"({"type":"A","severity":"high"})") ==
             "body: unknown field \"severity\" (type, message, frames, timestamp, pid, comm, context)");
  BOOST_TEST(error_of(R"({"type":"A","context":"x"})") == "body.context: must be an object");
  BOOST_TEST(error_of(R"({"type":"A","context":null})") == "body.context: must be an object");
  BOOST_TEST(error_of(R"({"events":{}})") == "events: must be a non-empty array");
  BOOST_TEST(error_of(R"({"events":[{"type":"A"},"x"]})") == "events[1]: an event must be an object");
  BOOST_TEST(error_of(R"({"events":[{"type":"A"},{"type":12}]})") == "events[1].type: must be a string");
  BOOST_TEST(error_of(R"({"events":[{"type":"A"}],"x":1})") == "body: a batch is {\"events\":[…]} and nothing else");
  // The first problem in reading order wins; a scalar is lexed whole before its type is judged.
  BOOST_TEST(error_of(R"({"type":5,"pid":"x"})") == "body.type: must be a string");
  BOOST_TEST(malformed(R"({"type":"A","pid":"broken \q"})"));
  BOOST_TEST(error_of(R"({"type":"A","pid":[}})") == "body.pid: must be a non-negative integer");
}

BOOST_AUTO_TEST_CASE(bounds_hold) {
  // Frames per event.
  std::string frames = "[";
  for (std::size_t i = 0; i < kMaxFramesPerEvent; ++i) frames += std::string(i ? "," : "") + "{}";
  BOOST_TEST(parse_error_body(R"({"type":"A","frames":)" + frames + "]}").ok());
  BOOST_TEST(error_of(R"({"type":"A","frames":)" + frames + ",{}]}") == "body.frames: more than 256 frames");
  // Bytes per string field.
  BOOST_TEST(parse_error_body(R"({"type":")" + std::string(kMaxTypeChars, 't') + "\"}").ok());
  BOOST_TEST(error_of(R"({"type":"A","comm":")" + std::string(kMaxNameBytes + 1, 'c') + "\"}") ==
             "body.comm: longer than 4096 bytes");
  // Nesting: the context object sits at depth 2 of a single event, 4 of a batch's.
  const int single_room = dbg::protocol::kMaxJsonDepth - 1;  // levels left for the context itself
  auto nested = [](int levels) { return std::string(levels - 1, '[') + "{}" + std::string(levels - 1, ']'); };
  auto ctx = [&](int levels) { return event_with_context("{\"a\":" + nested(levels - 1) + "}"); };
  BOOST_TEST(parse_error_body(ctx(single_room)).ok());
  BOOST_TEST(error_of(ctx(single_room + 1)) == "body: JSON nested deeper than 16 levels");
  const std::string batch_ctx = R"({"events":[{"type":"A","context":{"a":)" + nested(single_room - 3) + "}}]}";
  BOOST_TEST(parse_error_body(batch_ctx).ok());
  const std::string batch_deep = R"({"events":[{"type":"A","context":{"a":)" + nested(single_room - 2) + "}}]}";
  BOOST_TEST(error_of(batch_deep) == "body: JSON nested deeper than 16 levels");
  // Events per request.
  std::string body = R"({"events":[)";
  for (std::size_t i = 0; i < kMaxEventsPerRequest; ++i) body += std::string(i ? "," : "") + R"({"type":"E"})";
  BOOST_TEST(parse_error_body(body + "]}").ok());
  BOOST_TEST(error_of(body + R"(,{"type":"E"}]})") == "events: at most 1000 events per request");
}

// The cursor's raw scan finds where a container ends without judging it: brackets inside
// strings (escaped quotes included) do not count, and a text that ends first has no end.
BOOST_AUTO_TEST_CASE(raw_container_end_counts_brackets_outside_strings) {
  auto end_of = [](std::string_view text) { return dbg::JsonCursor(text).raw_container_end(); };
  BOOST_TEST(end_of(R"(  [1,{"a":[2]}] , 3)") == std::string_view(R"(  [1,{"a":[2]}])").size());
  BOOST_TEST(end_of(R"(["]\"]", "\\"] x)") == std::string_view(R"(["]\"]", "\\"])").size());
  BOOST_TEST(end_of(R"({"a":"}"})") == 9u);
  BOOST_TEST(end_of(R"([1,[2])") == std::string_view::npos);
  BOOST_TEST(end_of(R"(["unterminated])") == std::string_view::npos);
  BOOST_TEST(end_of(R"(["ends in an escape\)") == std::string_view::npos);
  BOOST_TEST(end_of("42") == std::string_view::npos);
}

// With a memo, a frames text the memo knows is skipped (the event's frames stay empty and the
// entry is handed over); anything else about the event and the body is still read and judged.
BOOST_AUTO_TEST_CASE(known_frames_texts_are_skipped_and_the_rest_is_still_judged) {
  const std::string frames = R"([{"function":"f","module":"m","file":"[x].c"},{"module":"?","pc":7}])";
  StackMemo memo(16);
  const std::string first_body = R"({"events":[{"type":"A","frames":)" + frames + "}]}";
  auto first = parse_error_body(first_body, &memo);
  BOOST_REQUIRE(first.ok());
  BOOST_TEST(first.value().known[0] == nullptr);
  BOOST_REQUIRE_EQUAL(first.value().events[0].frames.size(), 2u);
  memo.put(frames, prepare_stack(first.value().events[0].frames));
  const StackMemo::Entry* entry = memo.find(frames);
  BOOST_REQUIRE(entry);
  const auto hits_before = memo.hits();

  // Kept in a variable: the parse result's frames texts are views into it.
  const std::string body = R"({"events":[{"type":"B","frames":)" + frames + R"(,"pid":3},{"type":"C","frames": )" +
                           frames + "}]}";
  auto again = parse_error_body(body, &memo);
  BOOST_REQUIRE(again.ok());
  const auto& parsed = again.value();
  BOOST_TEST(parsed.known[0] == entry);
  BOOST_TEST(parsed.known[1] == entry);  // whitespace before the array is not part of it
  BOOST_TEST(parsed.events[0].frames.empty());
  BOOST_TEST(parsed.frames_text[0] == frames);
  BOOST_TEST(parsed.events[0].pid == 3);
  BOOST_TEST(parsed.events[1].type == "C");
  BOOST_TEST(memo.hits() - hits_before == 2u);

  // Another spelling of the same frames is another text: parsed.
  auto spaced = parse_error_body(R"({"type":"A","frames":[ )" + frames.substr(1) + "}", &memo);
  BOOST_REQUIRE(spaced.ok());
  BOOST_TEST(spaced.value().known[0] == nullptr);
  BOOST_TEST(spaced.value().events[0].frames.size() == 2u);

  // What follows a known text is judged as ever, and so is an event around it.
  auto bad_pid = parse_error_body(R"({"type":"A","frames":)" + frames + R"(,"pid":-1})", &memo);
  BOOST_REQUIRE(!bad_pid.ok());
  BOOST_TEST(bad_pid.error().message == "body.pid: must be a non-negative integer");
  BOOST_TEST(!parse_error_body(R"({"type":"A","frames":)" + frames, &memo).ok());
  BOOST_TEST(!parse_error_body(R"({"frames":)" + frames + "}", &memo).ok());  // no type
  BOOST_TEST(!parse_error_body(R"({"type":"A","frames":)" + frames + R"(,"frames":[]})", &memo).ok());
}

// The memo is bounded in bytes as well as in entries: frames texts can be large.
BOOST_AUTO_TEST_CASE(the_stack_memo_keeps_within_its_bytes) {
  const auto stack = prepare_stack({});
  StackMemo memo(4);  // 4 entries, 4 x StackMemo::kBytesPerEntry bytes
  const std::size_t budget = 4 * StackMemo::kBytesPerEntry;
  for (char c : std::string("abcdef")) memo.put(std::string(6000, c), stack);
  BOOST_TEST(memo.bytes() <= budget);
  BOOST_TEST(memo.size() == 2u);
  BOOST_TEST(memo.find(std::string(6000, 'f')) != nullptr);  // the newest stay
  BOOST_TEST(memo.find(std::string(6000, 'a')) == nullptr);
  // Small texts: the entry bound applies.
  for (int i = 0; i < 10; ++i) memo.put("[" + std::to_string(i) + "]", stack);
  BOOST_TEST(memo.size() == 4u);
  // A text over kMaxTextBytes is not kept; shrinking evicts down to the new bounds.
  memo.put(std::string(StackMemo::kMaxTextBytes + 1, 'x'), stack);
  BOOST_TEST(memo.find(std::string(StackMemo::kMaxTextBytes + 1, 'x')) == nullptr);
  memo.set_capacity(1);
  BOOST_TEST(memo.size() == 1u);
  BOOST_TEST(memo.find("[9]") != nullptr);
  BOOST_TEST(memo.bytes() <= StackMemo::kBytesPerEntry);
}
