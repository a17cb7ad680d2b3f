// Unit tests of the shared library: the worker protocol parser and the snapshot model.
#define BOOST_TEST_MODULE shared_protocol
#include <boost/test/unit_test.hpp>

#include "dbg/protocol.hpp"
#include "dbg/snapshot.hpp"

using namespace dbg;

BOOST_AUTO_TEST_CASE(parse_request_accepts_a_full_snapshot_job) {
  auto r = protocol::parse_request(
      R"({"v":1,"id":"j1","kind":"snapshot","pid":42,"options":{"max_depth":20},"deadline_ms":5000})");
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r->id == "j1");
  BOOST_TEST(r->kind == "snapshot");
  BOOST_TEST(r->pid == 42);
  BOOST_TEST(r->deadline_ms == 5000);
  auto o = protocol::parse_snapshot_options(r->options);
  BOOST_REQUIRE(o.ok());
  BOOST_TEST(o->max_depth == 20);
  BOOST_TEST(o->stack_bytes == 65536u);
  BOOST_TEST((o->consistency == protocol::Consistency::kThread));
  BOOST_TEST((o->source == protocol::SourceMode::kAll));
}

BOOST_AUTO_TEST_CASE(parse_request_refuses_what_is_not_a_job) {
  const char* bad[] = {
      "", "{", "null", "[]", R"({"v":1})", R"({"v":"1","id":"a","kind":"ping"})",
      R"({"v":1,"id":"","kind":"ping"})", R"({"v":1,"id":"a","kind":"snapshot"})",
      R"({"v":1,"id":"a","kind":"snapshot","pid":0})", R"({"v":1,"id":"a","kind":"snapshot","pid":4294967296})",
      R"({"v":1,"id":"a","kind":"snapshot","pid":1,"options":[]})",
      R"({"v":1,"id":"a","kind":"snapshot","pid":1,"deadline_ms":-1})",
  };
  for (const char* line : bad) {
    auto r = protocol::parse_request(line);
    BOOST_TEST_INFO(line);
    BOOST_TEST(!r.ok());
    if (!r.ok()) BOOST_TEST(r.error().code == "bad_request");
  }
}

BOOST_AUTO_TEST_CASE(json_nesting_is_bounded_before_it_is_built) {
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto r = protocol::parse_bounded_json(deep);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().message.find("nested") != std::string::npos);
  BOOST_TEST(protocol::parse_bounded_json("[[[]]]").ok());
  BOOST_TEST(!protocol::parse_bounded_json("[[[]]]", 2).ok());
}

BOOST_AUTO_TEST_CASE(snapshot_options_are_range_checked) {
  using nlohmann::json;
  BOOST_TEST(!protocol::parse_snapshot_options(json{{"max_depth", 0}}).ok());
  BOOST_TEST(!protocol::parse_snapshot_options(json{{"max_depth", 1025}}).ok());
  BOOST_TEST(!protocol::parse_snapshot_options(json{{"max_depth", "5"}}).ok());
  BOOST_TEST(!protocol::parse_snapshot_options(json{{"stack_bytes", 100}}).ok());
  BOOST_TEST(!protocol::parse_snapshot_options(json{{"consistency", "all"}}).ok());
  BOOST_TEST(!protocol::parse_snapshot_options(json{{"source", "web"}}).ok());
  BOOST_TEST(!protocol::parse_snapshot_options(json{{"depth", 3}}).ok());
  auto ok = protocol::parse_snapshot_options(json{{"consistency", "process"}, {"stack_bytes", 8192}, {"source", "none"}});
  BOOST_REQUIRE(ok.ok());
  BOOST_TEST((ok->consistency == protocol::Consistency::kProcess));
  BOOST_TEST(ok->stack_bytes == 8192u);
  BOOST_TEST((ok->source == protocol::SourceMode::kNone));
}

BOOST_AUTO_TEST_CASE(snapshot_json_round_trips_with_addresses_as_hex_strings) {
  Snapshot s;
  s.pid = 7;
  s.comm = "svc";
  ThreadStack t;
  t.tid = 8;
  t.name = "io";
  t.state = 'S';
  t.pause_us = 12.5;
  t.truncated = "max_depth";
  Frame f;
  f.pc = 0xffffffffff600123ULL;  // above 2^53: must not lose precision
  f.function = "ns::f(int)";
  f.module = "libsvc.so";
  f.offset = 0x123;
  f.file = "svc.cpp";
  f.line = 42;
  t.frames.push_back(f);
  Frame unknown;
  unknown.pc = 0x1000;
  unknown.module = "?";
  unknown.offset = 0x1000;
  t.frames.push_back(unknown);
  ThreadStack gone;
  gone.tid = 9;
  gone.error = Error{"thread_gone", "exited"};
  s.threads = {t, gone};
  nlohmann::json j = s;
  BOOST_TEST(j["threads"][0]["frames"][0]["pc"] == "0xffffffffff600123");
  BOOST_TEST(j["threads"][0]["frames"][1]["function"].is_null());
  BOOST_TEST(j["threads"][1]["error"]["code"] == "thread_gone");
  Snapshot back = j.get<Snapshot>();
  BOOST_TEST(back.threads.size() == 2u);
  BOOST_TEST(back.threads[0].frames[0].pc == f.pc);
  BOOST_TEST(*back.threads[0].frames[0].function == "ns::f(int)");
  BOOST_TEST(*back.threads[0].truncated == "max_depth");
  BOOST_TEST(!back.threads[0].frames[1].function.has_value());
  BOOST_TEST(back.threads[1].error->code == "thread_gone");
  BOOST_TEST(nlohmann::json(back) == j);
}

BOOST_AUTO_TEST_CASE(text_format_shows_names_positions_and_errors) {
  Snapshot s;
  s.pid = 7;
  s.comm = "svc";
  ThreadStack t;
  t.tid = 7;
  t.name = "svc";
  t.state = 'S';
  Frame f;
  f.pc = 0x401000;
  f.function = "work";
  f.module = "svc";
  f.offset = 0x1000;
  f.file = "svc.c";
  f.line = 3;
  f.inlined = true;
  t.frames.push_back(f);
  ThreadStack gone;
  gone.tid = 8;
  gone.error = Error{"thread_gone", "thread 8 exited during capture"};
  ThreadStack waiting;
  waiting.tid = 9;
  waiting.wait = ThreadWait{"futex", 0x5000, 128, 10};
  ThreadStack cond;
  cond.tid = 10;
  cond.wait = ThreadWait{"futex", 0x6000, 137, std::nullopt};
  s.threads = {t, gone, waiting, cond};
  std::string text = format_text(s);
  BOOST_TEST(text.find("  waits in futex on 0x5000 (op 128), mutex owner 10\n") != std::string::npos, text);
  BOOST_TEST(text.find("  waits in futex on 0x6000 (op 137)\n") != std::string::npos, text);
  BOOST_TEST(text.find("PID 7 (svc) - 4 threads") == 0u);
  BOOST_TEST(text.find("#0  0x0000000000401000 work (svc.c:3) - svc+0x1000 [inlined]") != std::string::npos);
  BOOST_TEST(text.find("error thread_gone: thread 8 exited during capture") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(dump_replaces_invalid_utf8_instead_of_throwing) {
  nlohmann::json j = {{"name", std::string("bad\xff\xfe")}};
  std::string out;
  BOOST_CHECK_NO_THROW(out = protocol::dump(j));
  BOOST_TEST(out.find("bad") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bounded_parse_allows_the_limit_and_refuses_one_level_more) {
  auto nested = [](int levels) { return std::string(levels, '[') + std::string(levels, ']'); };
  BOOST_TEST(protocol::parse_bounded_json(nested(4), 4).ok());
  auto deep = protocol::parse_bounded_json(nested(5), 4);
  BOOST_REQUIRE(!deep.ok());
  BOOST_TEST(deep.error().code == "bad_request");
  BOOST_TEST(deep.error().message.find("deeper than 4") != std::string::npos);
  // Brackets inside strings (also after an escaped quote) are not nesting.
  auto in_string = protocol::parse_bounded_json(R"({"a":"[[[[[\"{{{{{"})", 2);
  BOOST_REQUIRE(in_string.ok());
  BOOST_TEST(in_string.value()["a"] == "[[[[[\"{{{{{");
  BOOST_TEST(!protocol::parse_bounded_json("[[1]", 4).ok());  // malformed, not too deep
  BOOST_TEST(protocol::parse_bounded_json("[[1]", 4).error().message == "malformed JSON");
}
