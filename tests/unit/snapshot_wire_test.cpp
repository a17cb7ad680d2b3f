// The DOM-free snapshot JSON (dbg/snapshot_wire.hpp) must agree with the nlohmann to_json /
// from_json forms in both directions, and refuse what from_json would refuse.
#define BOOST_TEST_MODULE snapshot_wire
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "dbg/protocol.hpp"
#include "dbg/snapshot.hpp"
#include "dbg/snapshot_wire.hpp"

using namespace dbg;
using nlohmann::json;

namespace {

Snapshot sample() {
  Snapshot s;
  s.pid = 4242;
  s.comm = "svc \"quoted\"\\";
  s.consistency = "process";
  s.capture_us = 123.456;
  s.unwind_us = 7;
  s.capture_sched = "normal";
  s.capture_sched_reason = "sched_setscheduler(SCHED_FIFO): Operation not permitted";
  s.cache = CacheStats{1, 2, 3, 4};
  ThreadStack t;
  t.tid = 4243;
  t.name = "tab\there\nnl\x01";
  t.state = 'R';
  t.pause_us = 0.1;
  t.truncated = "stack_bytes";
  Frame f;
  f.pc = 0xffffffffff600123ULL;
  f.function = "std::vector<int>::push_back(int const&)";
  f.module = "libsvc.so";
  f.offset = 0x123;
  f.file = "/src/svc.cpp";
  f.line = 42;
  f.inlined = true;
  t.frames.push_back(f);
  Frame bare;
  bare.pc = 0x1000;
  bare.module = "?";
  bare.offset = 0;
  t.frames.push_back(bare);
  ThreadStack gone;
  gone.tid = 4244;
  gone.name = "caf\xc3\xa9";  // valid UTF-8 stays as is
  gone.error = Error{"thread_gone", "exited during capture"};
  // Two threads blocked in futex(): one on a mutex with a known owner, one without an owner.
  ThreadStack waiter = t;
  waiter.tid = 4245;
  waiter.wait = ThreadWait{"futex", 0x7ffd00001230ULL, 128, 4243};
  ThreadStack cond = t;
  cond.tid = 4246;
  cond.wait = ThreadWait{"futex", 0x55550000aa48ULL, 393, std::nullopt};
  s.threads = {t, gone, waiter, cond};
  return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(writer_output_equals_the_dom_form) {
  Snapshot s = sample();
  std::string text;
  append_snapshot_json(text, s);
  BOOST_TEST(json::parse(text) == json(s));
}

BOOST_AUTO_TEST_CASE(reader_accepts_both_forms_and_round_trips) {
  Snapshot s = sample();
  std::string ours;
  append_snapshot_json(ours, s);
  for (const std::string& text : {ours, protocol::dump(json(s))}) {
    auto back = parse_snapshot_json(text);
    BOOST_REQUIRE_MESSAGE(back.ok(), (back.ok() ? "" : back.error().message));
    BOOST_TEST(json(back.value()) == json(s));
  }
}

BOOST_AUTO_TEST_CASE(capture_sched_round_trips_and_an_empty_reason_is_left_out) {
  Snapshot s = sample();
  s.capture_sched = "realtime";
  s.capture_sched_reason.clear();
  std::string ours;
  append_snapshot_json(ours, s);
  BOOST_TEST(ours.find("capture_sched_reason") == std::string::npos);
  BOOST_TEST(json::parse(ours).at("capture_sched") == "realtime");
  auto back = parse_snapshot_json(ours);
  BOOST_REQUIRE(back.ok());
  BOOST_TEST(back.value().capture_sched == "realtime");
  // Stored before the field existed: read as the normal class, no reason.
  auto old = parse_snapshot_json(R"({"pid":1,"threads":[]})");
  BOOST_REQUIRE(old.ok());
  BOOST_TEST(old.value().capture_sched == "normal");
  BOOST_TEST(old.value().capture_sched_reason == "");
}

BOOST_AUTO_TEST_CASE(wait_fields_agree_in_all_three_forms) {
  Snapshot s = sample();
  std::string ours;
  append_snapshot_json(ours, s);
  json dom = json(s);
  // The DOM form: present only on waiting threads, addresses as hex strings, owner or null.
  BOOST_TEST(!dom["threads"][0].contains("wait"));
  BOOST_TEST(dom["threads"][2]["wait"] == json::parse(R"({"syscall":"futex","addr":"0x7ffd00001230","op":128,"mutex_owner":4243})"));
  BOOST_TEST(dom["threads"][3]["wait"]["mutex_owner"].is_null());
  // The writer says the same, and both texts read back to the same model, field by field.
  BOOST_TEST(json::parse(ours) == dom);
  for (const std::string& text : {ours, protocol::dump(dom)}) {
    auto back = parse_snapshot_json(text);
    BOOST_REQUIRE_MESSAGE(back.ok(), (back.ok() ? "" : back.error().message));
    BOOST_REQUIRE_EQUAL(back->threads.size(), 4u);
    BOOST_TEST(!back->threads[0].wait.has_value());
    BOOST_REQUIRE(back->threads[2].wait.has_value());
    BOOST_TEST((*back->threads[2].wait == *s.threads[2].wait));
    BOOST_TEST((*back->threads[3].wait == *s.threads[3].wait));
    BOOST_TEST((dom["threads"][2].get<ThreadStack>().wait == s.threads[2].wait));
  }
  // null is the same as absent.
  auto null_wait = parse_snapshot_json(R"({"pid":1,"threads":[{"tid":2,"wait":null}]})");
  BOOST_REQUIRE(null_wait.ok());
  BOOST_TEST(!null_wait->threads[0].wait.has_value());
}

BOOST_AUTO_TEST_CASE(malformed_wait_is_refused) {
  const char* bad[] = {
      R"({"pid":1,"threads":[{"tid":1,"wait":{"op":128}}]})",                          // no addr
      R"({"pid":1,"threads":[{"tid":1,"wait":{"addr":"zz"}}]})",                       // not hex
      R"({"pid":1,"threads":[{"tid":1,"wait":{"addr":"0x10","op":"128"}}]})",          // op not a number
      R"({"pid":1,"threads":[{"tid":1,"wait":{"addr":"0x10","mutex_owner":"7"}}]})",   // owner not a number
      R"({"pid":1,"threads":[{"tid":1,"wait":[]}]})",                                  // not an object
      R"({"pid":1,"threads":[{"tid":1,"wait":3}]})",
  };
  for (const char* text : bad) {
    auto r = parse_snapshot_json(text);
    BOOST_TEST(!r.ok(), text);
  }
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_replaced_not_thrown) {
  Snapshot s = sample();
  s.comm = std::string("bad\xff\xc3", 5);  // a stray byte and a cut-short sequence
  std::string text;
  append_snapshot_json(text, s);
  auto j = json::parse(text);  // throws on invalid UTF-8: it must be valid now
  BOOST_TEST(j["comm"] == "bad\xEF\xBF\xBD\xEF\xBF\xBD");
}

BOOST_AUTO_TEST_CASE(unknown_keys_are_skipped_whatever_their_shape) {
  auto back = parse_snapshot_json(
      R"({"pid":1,"future":{"a":[1,{"b":2}]},"threads":[{"tid":2,"x":[[]],"frames":[{"pc":"0x10","offset":"0x0","y":{}}]}]})");
  BOOST_REQUIRE_MESSAGE(back.ok(), (back.ok() ? "" : back.error().message));
  BOOST_TEST(back->threads.at(0).frames.at(0).pc == 0x10u);
}

BOOST_AUTO_TEST_CASE(what_from_json_refuses_is_refused) {
  const char* bad[] = {
      R"([])",                                                    // not an object
      R"({"threads":[]})",                                        // no pid
      R"({"pid":1})",                                             // no threads
      R"({"pid":"1","threads":[]})",                              // pid of the wrong type
      R"({"pid":1,"threads":{}})",                                // threads not an array
      R"({"pid":1,"threads":[{"name":"x"}]})",                    // thread without tid
      R"({"pid":1,"threads":[{"tid":1,"frames":[{"pc":"0x1"}]}]})",  // frame without offset
      R"({"pid":1,"threads":[{"tid":1,"frames":[{"pc":"zz","offset":"0x0"}]}]})",  // not hex
      R"({"pid":1,"threads":[{"tid":1,"frames":[{"pc":"0x1","offset":"0x0","line":"3"}]}]})",
      R"({"pid":1,"threads":[)",                                  // cut short
  };
  for (const char* text : bad) {
    auto r = parse_snapshot_json(text);
    BOOST_TEST(!r.ok(), text);
    if (!r.ok()) BOOST_TEST(r.error().code == "bad_request");
  }
}

BOOST_AUTO_TEST_CASE(nesting_is_bounded) {
  std::string deep = R"({"pid":1,"threads":[],"x":)" + std::string(100, '[') + std::string(100, ']') + "}";
  auto r = parse_snapshot_json(deep, 16);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().message.find("deeper") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(result_line_has_the_fixed_prefix_and_parses_as_the_envelope) {
  Snapshot s = sample();
  std::string line = protocol::snapshot_result_line("j17", s);
  BOOST_TEST(line.rfind(protocol::result_line_prefix("j17"), 0) == 0u);
  auto j = json::parse(line);
  BOOST_TEST(j["v"] == protocol::kVersion);
  BOOST_TEST(j["id"] == "j17");
  BOOST_TEST(j["type"] == "result");
  BOOST_TEST(j["result"] == json(s));
}
