// The crash handler's pure parts: handler.json (worker/core/core_config), the watch selection
// (core_select), spool/counters.json (core_counters) and the report's size bound (core_report).
#define BOOST_TEST_MODULE worker_core_config
#include <boost/test/unit_test.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "worker/core/core_config.hpp"
#include "worker/core/core_counters.hpp"
#include "worker/core/core_report.hpp"
#include "worker/core/core_select.hpp"

using namespace dbg::worker::core;
using nlohmann::json;

namespace {

// The example of docs/crash-capture.md.
const char* kDocExample = R"({"v":1, "owner_pid":1234, "instance":"/var/lib/dbgcoord",
     "previous":{"core_pattern":"|/usr/lib/systemd/systemd-coredump %P %u %g %s %t %c %h"},
     "watches":[{"id":"w1","match":"^nginx","all":false,
                 "options":{"max_depth":12,"max_variables":3,"max_threads":64}},
                {"id":"w2","match":null,"all":true,"options":{}}],
     "limits":{"time_limit_ms":2500,"max_concurrent":3,"spool_max_files":10,
               "spool_max_bytes":1000000,"report_max_bytes":65536,
               "analysis_max_memory_bytes":1073741824}})";

}  // namespace

BOOST_AUTO_TEST_CASE(the_documented_handler_json_is_read_field_by_field) {
  auto c = parse_handler_config(kDocExample);
  BOOST_REQUIRE(c.ok());
  BOOST_TEST(c->previous_core_pattern.value_or("") == "|/usr/lib/systemd/systemd-coredump %P %u %g %s %t %c %h");
  BOOST_REQUIRE(c->watches.size() == 2u);
  BOOST_TEST(c->watches[0].id == "w1");
  BOOST_TEST(!c->watches[0].all);
  BOOST_TEST(c->watches[0].regex.has_value());
  BOOST_TEST(c->watches[0].options.max_depth == 12);
  BOOST_TEST(c->watches[0].options.max_variables == 3);
  BOOST_TEST(c->watches[0].options.max_threads == 64);
  BOOST_TEST(c->watches[1].all);
  BOOST_TEST(!c->watches[1].regex.has_value());
  BOOST_TEST(c->watches[1].options.max_depth == 20);
  BOOST_TEST(c->limits.time_limit_ms == 2500);
  BOOST_TEST(c->limits.max_concurrent == 3);
  BOOST_TEST(c->limits.spool_max_files == 10u);
  BOOST_TEST(c->limits.spool_max_bytes == 1000000u);
  BOOST_TEST(c->limits.report_max_bytes == 65536u);
  BOOST_TEST(c->limits.analysis_max_memory_bytes == 1073741824u);
}

BOOST_AUTO_TEST_CASE(missing_mistyped_and_out_of_range_fields_take_their_defaults) {
  auto c = parse_handler_config(R"({"watches":[{"id":"a","all":"yes","match":7,
      "options":{"max_depth":0,"max_variables":"many","max_threads":1e9,"colour":1}},
      {"all":true}, {"id":"","all":true}, 5],
      "limits":{"time_limit_ms":-1,"max_concurrent":100000,"spool_max_files":"x",
                "report_max_bytes":10,"analysis_max_memory_bytes":18446744073709551615},
      "unknown":{"deep":[1,2,3]}})");
  BOOST_REQUIRE(c.ok());
  const HandlerLimits d;
  BOOST_TEST(!c->previous_core_pattern);
  BOOST_REQUIRE(c->watches.size() == 1u);  // no id, an empty id, not an object: dropped
  BOOST_TEST(!c->watches[0].all);
  BOOST_TEST(!c->watches[0].regex);
  BOOST_TEST(c->watches[0].options.max_depth == 20);
  BOOST_TEST(c->watches[0].options.max_variables == 10);
  BOOST_TEST(c->watches[0].options.max_threads == 256);
  BOOST_TEST(c->limits.time_limit_ms == d.time_limit_ms);
  BOOST_TEST(c->limits.max_concurrent == d.max_concurrent);
  BOOST_TEST(c->limits.spool_max_files == d.spool_max_files);
  BOOST_TEST(c->limits.spool_max_bytes == d.spool_max_bytes);
  BOOST_TEST(c->limits.report_max_bytes == d.report_max_bytes);
  BOOST_TEST(c->limits.analysis_max_memory_bytes == d.analysis_max_memory_bytes);

  auto empty = parse_handler_config("{}");
  BOOST_REQUIRE(empty.ok());
  BOOST_TEST(empty->watches.empty());
  BOOST_TEST(empty->limits.time_limit_ms == 5000);
  BOOST_TEST(empty->limits.max_concurrent == 2);
  BOOST_TEST(empty->limits.spool_max_files == 1000u);
  BOOST_TEST(empty->limits.spool_max_bytes == 67108864u);
  BOOST_TEST(empty->limits.report_max_bytes == 1048576u);
  BOOST_TEST(empty->limits.analysis_max_memory_bytes == 2147483648u);
}

BOOST_AUTO_TEST_CASE(a_file_that_is_not_a_version_1_object_is_refused) {
  for (const char* text : {"", "not json", "[1,2]", "{\"v\":2}", "{\"v\":\"1\"}", "{\"v\":1", "null"}) {
    BOOST_TEST_INFO(text);
    auto c = parse_handler_config(text);
    BOOST_REQUIRE(!c.ok());
    BOOST_TEST(c.error().code == "bad_config");
  }
}

BOOST_AUTO_TEST_CASE(a_regex_that_is_invalid_empty_or_too_long_selects_nothing) {
  std::string too_long(kMaxPatternLength + 1, 'a');
  json j = {{"watches", {{{"id", "bad"}, {"match", "(unclosed"}}, {{"id", "empty"}, {"match", ""}},
                         {{"id", "long"}, {"match", too_long}}, {{"id", "max"}, {"match", std::string(kMaxPatternLength, 'a')}}}}};
  auto c = parse_handler_config(j.dump());
  BOOST_REQUIRE(c.ok());
  BOOST_REQUIRE(c->watches.size() == 4u);
  BOOST_TEST(!c->watches[0].regex);
  BOOST_TEST(!c->watches[1].regex);
  BOOST_TEST(!c->watches[2].regex);
  BOOST_TEST(c->watches[3].regex.has_value());
  BOOST_TEST(select_watch(c->watches, "(unclosed", "(unclosed") == nullptr);
}

BOOST_AUTO_TEST_CASE(the_first_watch_that_selects_wins_comm_before_cmdline) {
  auto c = parse_handler_config(R"({"watches":[
      {"id":"by_comm","match":"^crasher"},
      {"id":"by_cmdline","match":"--role=worker"},
      {"id":"everything","all":true},
      {"id":"never_reached","match":"."}]})");
  BOOST_REQUIRE(c.ok());
  auto id = [&](const std::string& comm, const std::string& cmdline) {
    const CoreWatch* w = select_watch(c->watches, comm, cmdline);
    return w ? w->id : std::string("none");
  };
  BOOST_TEST(id("crasher_O0", "/x/crasher_O0 null") == "by_comm");
  BOOST_TEST(id("svc", "/usr/bin/svc --role=worker") == "by_cmdline");
  BOOST_TEST(id("svc", "/usr/bin/svc --role=db") == "everything");
  BOOST_TEST(id("xcrasher", "") == "everything");  // a search, but anchored by ^

  auto only_regex = parse_handler_config(R"({"watches":[{"id":"w","match":"crash","all":false}]})");
  BOOST_REQUIRE(only_regex.ok());
  BOOST_TEST(select_watch(only_regex->watches, "bash", "bash -c true") == nullptr);
  BOOST_TEST(select_watch(only_regex->watches, "mycrashapp", "") != nullptr);  // searched, not fully matched
  BOOST_TEST(select_watch(only_regex->watches, "python3", "python3 crash.py") != nullptr);
}

BOOST_AUTO_TEST_CASE(dropped_crashes_are_counted_by_exe_and_signal_within_the_bound) {
  std::string text = add_dropped("", DroppedCrash{"/bin/a", "a", 11, 1000});
  text = add_dropped(text, DroppedCrash{"/bin/a", "a", 11, 900});
  text = add_dropped(text, DroppedCrash{"/bin/a", "a", 6, 1100});
  text = add_dropped(text, DroppedCrash{"/bin/b", "b", 11, 1200});
  json j = json::parse(text);
  BOOST_TEST(j.at("v") == 1);
  const auto& d = j.at("dropped");
  BOOST_REQUIRE(d.size() == 3u);
  BOOST_TEST(d[0].at("exe") == "/bin/a");
  BOOST_TEST(d[0].at("signal") == 11);
  BOOST_TEST(d[0].at("count") == 2);
  BOOST_TEST(d[0].at("first_ms") == 900);
  BOOST_TEST(d[0].at("last_ms") == 1000);
  BOOST_TEST(d[1].at("signal") == 6);
  BOOST_TEST(d[2].at("comm") == "b");

  // Past kMaxCounterEntries distinct executables, the rest is counted under "*".
  std::string full;
  for (size_t i = 0; i < kMaxCounterEntries + 5; ++i) full = add_dropped(full, DroppedCrash{"/e/" + std::to_string(i), "e", 11, 1});
  json f = json::parse(full);
  BOOST_REQUIRE(f.at("dropped").size() == kMaxCounterEntries + 1);
  const auto& overflow = f.at("dropped").back();
  BOOST_TEST(overflow.at("exe") == "*");
  BOOST_TEST(overflow.at("signal") == 0);
  BOOST_TEST(overflow.at("count") == 5);
  uint64_t total = 0;
  for (const auto& e : f.at("dropped")) total += e.at("count").get<uint64_t>();
  BOOST_TEST(total == kMaxCounterEntries + 5);
}

BOOST_AUTO_TEST_CASE(a_damaged_counters_file_keeps_its_well_formed_entries) {
  BOOST_TEST(json::parse(add_dropped("{\"v\":1,\"dropped\":[", DroppedCrash{"/x", "x", 4, 5})).at("dropped").size() == 1u);
  std::string mixed = R"({"v":1,"dropped":[{"exe":"/ok","comm":"ok","signal":11,"count":7,"first_ms":1,"last_ms":2},
      {"exe":5},"junk",{"exe":"/neg","comm":"n","signal":11,"count":-3,"first_ms":1,"last_ms":2}]})";
  json j = json::parse(add_dropped(mixed, DroppedCrash{"/ok", "ok", 11, 3}));
  BOOST_REQUIRE(j.at("dropped").size() == 1u);
  BOOST_TEST(j.at("dropped")[0].at("count") == 8);
  BOOST_TEST(j.at("dropped")[0].at("last_ms") == 3);
}

namespace {

json big_context(size_t threads, size_t frames) {
  json ts = json::array();
  for (size_t t = 0; t < threads; ++t) {
    json fs = json::array();
    for (size_t f = 0; f < frames; ++f) fs.push_back({{"function", "function_with_a_long_name_" + std::to_string(f)}, {"pc", "0x1234"}});
    ts.push_back({{"tid", 100 + t}, {"frames", fs}});
  }
  ts[0]["crashing"] = true;
  return {{"type", "SIGSEGV/SEGV_MAPERR"}, {"signal", 11}, {"signal_name", "SIGSEGV"}, {"code", 1},
          {"code_name", "SEGV_MAPERR"}, {"message", "Segmentation fault"}, {"timestamp_ms", 5}, {"pid", 100},
          {"comm", "c"}, {"tid", 100}, {"thread_name", "c"}, {"fault", nullptr}, {"threads", ts},
          {"omitted_threads", 0u}, {"variables", {{"items", json::array()}}}, {"registers", {{"rip", "0x1"}}}};
}

json report_with(const json& context) {
  CrashArgs args;
  args.pid = 100;
  args.tid = 100;
  CrashedProcess p{"c", "c --flag", "/bin/c", 42};
  return build_report("boot-100-5-100", args, "w1", p, context, HandlerOutcome{});
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_oversized_report_loses_other_threads_then_becomes_minimal) {
  const json ctx = big_context(50, 40);
  const std::string whole = render_report(report_with(ctx), 1u << 30);
  BOOST_TEST(json::parse(whole).at("context").at("threads").size() == 50u);
  BOOST_TEST(!json::parse(whole).at("handler").contains("reason"));

  // Room for one thread: the crashing one stays, the others are counted.
  const size_t one_thread = whole.size() / 10;
  json cut = json::parse(render_report(report_with(ctx), one_thread));
  BOOST_TEST(cut.dump().size() <= one_thread);
  BOOST_REQUIRE(cut.at("context").at("threads").size() == 1u);
  BOOST_TEST(cut.at("context").at("threads")[0].at("crashing") == true);
  BOOST_TEST(cut.at("context").at("omitted_threads") == 49);
  BOOST_TEST(cut.at("handler").at("analysis") == "full");

  // Not even that: minimal, with the crash still identified.
  const std::string text = render_report(report_with(big_context(1, 3000)), 4096);
  BOOST_TEST(text.size() <= 4096u);
  json minimal = json::parse(text);
  BOOST_TEST(minimal.at("handler").at("analysis") == "minimal");
  BOOST_TEST(minimal.at("handler").at("reason") == "too_large");
  const auto& m = minimal.at("context");
  BOOST_TEST(m.at("type") == "SIGSEGV/SEGV_MAPERR");
  BOOST_TEST(m.at("signal") == 11);
  BOOST_TEST(m.at("message") == "Segmentation fault");
  BOOST_TEST(m.at("tid") == 100);
  BOOST_TEST(m.at("threads").empty());
  BOOST_TEST(m.at("omitted_threads") == 1);
  BOOST_TEST(m.at("registers").is_null());
  BOOST_TEST(minimal.at("id") == "boot-100-5-100");
  BOOST_TEST(minimal.at("process").at("exe") == "/bin/c");
}
