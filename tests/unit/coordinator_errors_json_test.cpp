// The error API's JSON on the hot path: the SAX body parser (parse_error_events) and the direct
// frames writer (json_writer), checked against nlohmann's own parser as the oracle.
#define BOOST_TEST_MODULE coordinator_errors_json
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "coordinator/errors/error_event_json.hpp"
#include "coordinator/errors/json_writer.hpp"

using namespace dbg::coord::errors;
using nlohmann::json;

namespace {

std::string error_of(const std::string& body) {
  auto r = parse_error_events(body);
  BOOST_REQUIRE_MESSAGE(!r.ok(), "accepted: " << body);
  BOOST_TEST(r.error().code == "bad_request");
  return r.error().message;
}

}  // namespace

BOOST_AUTO_TEST_CASE(single_event_with_every_field) {
  auto r = parse_error_events(R"j({"type":"SIGSEGV/SEGV_MAPERR","message":"m\u00e9","pid":12,"comm":"app",
    "timestamp":1700000000000,"context":{"fault":{"address":"0x0","class":"null page"},"regs":[1,2.5,true,null,"x"]},
    "frames":[{"function":"f(int)","module":"app","offset":"0x1A2b","file":"a.c","line":3,"pc":18446744073709551615,
               "inlined":true},{"function":null,"module":"libc.so.6","offset":4096,"file":null,"line":null}]})j");
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE_EQUAL(r.value().size(), 1u);
  const auto& e = r.value()[0];
  BOOST_TEST(e.type == "SIGSEGV/SEGV_MAPERR");
  BOOST_TEST(e.message == "m\xc3\xa9");
  BOOST_TEST(e.pid == 12);
  BOOST_TEST(e.comm == "app");
  BOOST_TEST(e.timestamp_ms == 1700000000000);
  BOOST_TEST(e.source == "api");
  BOOST_TEST(e.kind == "reported");
  BOOST_TEST(e.context == json::parse(R"({"fault":{"address":"0x0","class":"null page"},"regs":[1,2.5,true,null,"x"]})"));
  BOOST_REQUIRE_EQUAL(e.frames.size(), 2u);
  BOOST_TEST(*e.frames[0].function == "f(int)");
  BOOST_TEST(e.frames[0].offset == 0x1a2bu);
  BOOST_TEST(e.frames[0].pc == UINT64_MAX);
  BOOST_TEST(*e.frames[0].line == 3);
  BOOST_TEST(e.frames[0].inlined);
  BOOST_TEST(!e.frames[1].function.has_value());
  BOOST_TEST(e.frames[1].offset == 4096u);
  BOOST_TEST(!e.frames[1].line.has_value());
}

BOOST_AUTO_TEST_CASE(batch_of_events_keeps_order) {
  auto r = parse_error_events(R"({"events":[{"type":"A"},{"type":"B","frames":[]},{"type":"C","context":{}}]})");
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE_EQUAL(r.value().size(), 3u);
  BOOST_TEST(r.value()[0].type == "A");
  BOOST_TEST(r.value()[2].type == "C");
}

BOOST_AUTO_TEST_CASE(malformed_bodies_name_what_and_where) {
  BOOST_TEST(error_of("").find("malformed JSON") != std::string::npos);
  BOOST_TEST(error_of(R"({"type":"A"} trailing)").find("malformed JSON") != std::string::npos);
  BOOST_TEST(error_of(R"({"type":"A","type":"B"})").find("given twice") != std::string::npos);
  BOOST_TEST(error_of(R"({"events":[{"type":"A"},{"type":"B","frames":[{"line":1.5}]}]})") ==
             "events[1].frames[0].line: must be a non-negative integer or null");
  BOOST_TEST(error_of(R"({"events":[{"type":"A"}],"type":"B"})").find("nothing else") != std::string::npos);
  BOOST_TEST(error_of(R"({"type":"B","events":[]})").find("nothing else") != std::string::npos);
  BOOST_TEST(error_of(R"({"events":[]})") == "events: must be a non-empty array");
  BOOST_TEST(error_of(R"({"events":"x"})") == "events: must be a non-empty array");  // found by fuzzing
  BOOST_TEST(error_of(R"({"events":null})") == "events: must be a non-empty array");
  BOOST_TEST(error_of(R"({"events":[7]})") == "events[0]: an event must be an object");
  BOOST_TEST(error_of(R"({"type":"A","frames":[[]]})") == "body.frames[0]: a frame must be an object");
  BOOST_TEST(error_of(R"({"type":"A","frames":[{"offset":"0x"}]})").find("hex string") != std::string::npos);
  BOOST_TEST(error_of(R"({"type":"A","frames":[{"offset":"0x12345678901234567"}]})").find("hex string") !=
             std::string::npos);
  BOOST_TEST(error_of(R"({"type":"A","pid":-1})") == "body.pid: must be a non-negative integer");
  BOOST_TEST(error_of(R"({"type":"A","pid":2147483648})") == "body.pid: must be a non-negative integer");
  BOOST_TEST(error_of(R"({"type":"A","context":[1]})") == "body.context: must be an object");
  BOOST_TEST(error_of(R"({"message":"no type"})") == "body: \"type\" is required");
  BOOST_TEST(error_of(R"({"events":[{"message":"no type"}]})") == "events[0]: \"type\" is required");
  BOOST_TEST(error_of(R"({"type":"A","extra":1})").find("unknown field \"extra\"") != std::string::npos);
  BOOST_TEST(error_of(R"("just a string")").find("event object") != std::string::npos);
  std::string deep = R"({"type":"A","context":{"a":)" + std::string(20, '[') + std::string(20, ']') + "}}";
  BOOST_TEST(error_of(deep).find("nested deeper") != std::string::npos);
  BOOST_TEST(error_of(R"({"type":")" + std::string(kMaxTypeChars + 1, 't') + "\"}").find("longer than") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(batch_limit_is_enforced_while_parsing) {
  std::string body = R"({"events":[)";
  for (std::size_t i = 0; i <= kMaxEventsPerRequest; ++i) body += std::string(i ? "," : "") + R"({"type":"E"})";
  body += "]}";
  BOOST_TEST(error_of(body).find("at most 1000 events") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(frames_writer_matches_the_snapshot_shape_and_round_trips) {
  dbg::Frame a;
  a.pc = 0x7f0012345678;
  a.function = "ns::f<int>(char const*) \"quoted\" \\ tab\t nl\n bell\x07 é";
  a.module = "libx.so.1";
  a.offset = 0;
  a.file = "/src/a.cpp";
  a.line = 42;
  a.inlined = true;
  dbg::Frame b;  // no symbol, no source
  b.module = "?";
  b.offset = 0xffffffffffffffffULL;
  std::vector<dbg::Frame> frames{a, b};
  const std::string text = frames_json(frames);
  json parsed = json::parse(text);  // throws if not valid JSON
  BOOST_TEST(parsed == json(frames));  // exactly what nlohmann's to_json(Frame) gives
  BOOST_TEST(frames_json({}) == "[]");
}

BOOST_AUTO_TEST_CASE(string_array_writer_gives_nlohmanns_text) {
  const std::vector<std::string> keys{"app!main", "libx.so!ns::f<T>", "quote\" back\\ nl\n ctl\x01 é", ""};
  BOOST_TEST(string_array_json(keys) == json(keys).dump());
  BOOST_TEST(string_array_json({}) == "[]");
  // Invalid UTF-8 is replaced, as nlohmann's dump with error_handler_t::replace does.
  const std::vector<std::string> bad{"x\xffy"};
  BOOST_TEST(string_array_json(bad) == json(bad).dump(-1, ' ', false, json::error_handler_t::replace));
}

BOOST_AUTO_TEST_CASE(invalid_utf8_becomes_replacement_characters_not_invalid_json) {
  const std::vector<std::string> bad = {"\xff", "a\xc3", "\xe2\x82", "\xed\xa0\x80", "\xc0\xaf", "\xf5\x80\x80\x80",
                                        std::string("nul\0inside", 10)};
  for (const auto& s : bad) {
    std::string out;
    append_json_string(out, s);
    json parsed = json::parse(out);  // must not throw
    BOOST_TEST(parsed.is_string());
  }
  std::string out;
  append_json_string(out, "x\xffy");
  BOOST_TEST(json::parse(out).get<std::string>() == "x\xef\xbf\xbdy");
}
