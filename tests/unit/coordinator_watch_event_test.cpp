// The coordinator's side of the watch seam: request bodies, and the watcher's real crash and
// exit lines (produced here by the real `dbg-worker watch` on real crashers) turned into
// errors::ErrorEvents.
#define BOOST_TEST_MODULE coordinator_watch_event
#include <boost/test/unit_test.hpp>

#include "coordinator/watch/crash_event.hpp"
#include "coordinator/watch/watch_request.hpp"
#include "watch_client.hpp"
#include "worker_fixture.hpp"

using namespace dbg::test;
namespace watch = dbg::coord::watch;

namespace {

// The first crash or exit line the watcher emits for `mode` of crasher_O0.
nlohmann::json real_event_line(const std::string& mode, const std::string& type) {
  auto child = start_target("crasher_O0", {mode});
  WatchClient watcher;
  BOOST_REQUIRE(watcher.add(child.pid()).at("type") == "result");
  BOOST_REQUIRE(child.write_stdin("go\n"));
  nlohmann::json found;
  for (const auto& e : watcher.events_until_end(child.pid())) {
    if (e.at("type") == type) found = e;
  }
  BOOST_REQUIRE(child.wait(std::chrono::seconds(60)));
  BOOST_REQUIRE(!found.is_null());
  return found;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_real_crash_line_becomes_an_error_event) {
  auto line = real_event_line("assert", "crash");
  auto e = watch::crash_to_event(line, "w-1");
  BOOST_TEST(e.source == "watch");
  BOOST_TEST(e.kind == "crash");
  BOOST_TEST(e.type == "SIGABRT/SI_TKILL");
  BOOST_TEST(e.message.find("Assertion `value == expected' failed.") != std::string::npos);
  BOOST_TEST(e.message.size() <= dbg::coord::errors::kMaxMessageChars);
  BOOST_TEST(e.pid == line.at("pid").get<int>());
  BOOST_TEST(e.comm == "crasher_O0");
  BOOST_TEST(e.timestamp_ms > 0);
  // Frames: the crashing thread's, innermost first; they are not repeated in the context.
  BOOST_REQUIRE(e.frames.size() >= 3u);
  bool saw_check_invariant = false;
  for (const auto& f : e.frames) saw_check_invariant |= f.function.value_or("") == "check_invariant";
  BOOST_TEST(saw_check_invariant);
  BOOST_TEST(!e.context.at("threads").at(0).contains("frames"));
  BOOST_TEST(e.context.at("threads").size() == 3u);
  BOOST_TEST(e.context.at("watch_id") == "w-1");
  BOOST_TEST(e.context.at("code_name") == "SI_TKILL");
  BOOST_TEST(e.context.at("registers").contains("rip"));
  BOOST_TEST(!e.context.contains("message"));
}

BOOST_AUTO_TEST_CASE(a_real_exit_line_becomes_an_exit_event) {
  auto line = real_event_line("exit3", "exit");
  auto e = watch::exit_to_event(line, "w-2");
  BOOST_TEST(e.kind == "exit");
  BOOST_TEST(e.type == "exit/3");
  BOOST_TEST(e.frames.empty());
  BOOST_TEST(e.comm == "crasher_O0");
  BOOST_TEST(e.context.at("status") == 3);
}

BOOST_AUTO_TEST_CASE(watch_request_bodies) {
  auto pid = watch::parse_watch_request(R"({"pid":42,"options":{"max_depth":5}})");
  BOOST_REQUIRE(pid);
  BOOST_TEST(*pid.value().pid == 42);
  BOOST_TEST(pid.value().options.at("max_depth") == 5);
  auto match = watch::parse_watch_request(R"({"match":"^nginx"})");
  BOOST_REQUIRE(match);
  BOOST_TEST(*match.value().match == "^nginx");
  for (const char* bad : {"", "nope", "[]", "{}", R"({"pid":0})", R"({"pid":1.5})", R"({"pid":1,"match":"x"})",
                          R"({"match":"("})", R"({"match":7})", R"({"pid":1,"options":{"max_threads":0}})",
                          R"({"pid":1,"options":{"max_variables":101}})", R"({"pid":1,"options":[]})",
                          R"({"pid":1,"extra":true})"}) {
    auto r = watch::parse_watch_request(bad);
    BOOST_TEST_INFO(bad);
    BOOST_TEST(!r.ok());
    if (!r.ok()) BOOST_TEST(r.error().code == "bad_request");
  }
}
