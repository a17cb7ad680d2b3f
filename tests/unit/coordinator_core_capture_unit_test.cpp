// The pure parts of core mode (coordinator/crash/): the handler's core_pattern and what an
// existing pattern is to us, handler.json, the installer against a plain file standing in for
// /proc/sys/kernel/core_pattern, a report -> ErrorEvent (same signature as the ptrace line),
// the drop counters, and the spool ingest on a temporary directory.
#define BOOST_TEST_MODULE coordinator_core_capture_unit
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "coordinator/crash/core_pattern.hpp"
#include "coordinator/crash/crash_report.hpp"
#include "coordinator/crash/drop_counters.hpp"
#include "coordinator/crash/handler_json.hpp"
#include "coordinator/crash/installer.hpp"
#include "coordinator/crash/spool_ingest.hpp"
#include "coordinator/errors/signature.hpp"
#include "coordinator/watch/crash_event.hpp"
#include "coordinator_test_client.hpp"

namespace crash = dbg::coord::crash;
namespace fs = std::filesystem;
using nlohmann::json;
using dbg::coord::test::TempDir;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void spit(const fs::path& p, const std::string& text) {
  std::ofstream out(p);
  out << text;
}

json sample_context() {
  return {{"type", "SIGSEGV/SEGV_MAPERR"},
          {"message", "SIGSEGV at 0x0 (null_page)"},
          {"comm", "crasher_O0"},
          {"pid", 4242},
          {"timestamp_ms", 1700000000000},
          {"fault", {{"address", "0x0"}, {"class", "null_page"}}},
          {"threads",
           json::array({{{"tid", 4242},
                         {"crashing", true},
                         {"frames", json::array({{{"pc", "0x401136"}, {"function", "store_through"},
                                                  {"module", "crasher_O0"}, {"offset", "0x1136"}},
                                                 {{"pc", "0x401200"}, {"function", "main"},
                                                  {"module", "crasher_O0"}, {"offset", "0x1200"}}})}}})}};
}

json sample_report(const std::string& id = "boot-4242-1700000000-4242") {
  return {{"v", 1},
          {"type", "crash"},
          {"mode", "core"},
          {"id", id},
          {"pid", 4242},
          {"watch_id", "w-1"},
          {"process", {{"comm", "crasher_O0"}, {"exe", "/x/crasher_O0"}}},
          {"context", sample_context()},
          {"handler", {{"analysis", "full"}, {"elapsed_ms", 120}, {"chain", "none"}, {"chain_result", "ok"}}}};
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_handler_pattern_is_the_contracts_line) {
  auto p = crash::handler_pattern("/usr/bin/dbg-worker", "/var/lib/dbgcoord/crash");
  BOOST_REQUIRE(p);
  BOOST_TEST(p.value() == "|/usr/bin/dbg-worker core /var/lib/dbgcoord/crash %P %i %I %s %c %d %t %u %g %p %h %e %E");
  BOOST_TEST(p.value().size() <= crash::kMaxCorePattern);
}

BOOST_AUTO_TEST_CASE(a_pattern_over_127_bytes_relative_paths_and_spaces_are_refused) {
  auto long_dir = "/" + std::string(80, 'd');
  auto r = crash::handler_pattern("/usr/bin/dbg-worker", long_dir);
  BOOST_REQUIRE(!r);
  BOOST_TEST(r.error().code == "bad_request");
  BOOST_TEST(r.error().message.find("127") != std::string::npos);
  BOOST_TEST(!crash::handler_pattern("dbg-worker", "/c"));
  BOOST_TEST(!crash::handler_pattern("/usr/bin/dbg-worker", "crash"));
  BOOST_TEST(!crash::handler_pattern("/usr/bin/dbg-worker", "/my crash"));
}

BOOST_AUTO_TEST_CASE(existing_patterns_are_ours_chainable_or_owned_by_someone_else) {
  const std::string ours = crash::handler_pattern("/b/dbg-worker", "/d/crash").value();
  using O = crash::PatternOwner;
  BOOST_TEST((crash::classify_pattern(ours + "\n", ours) == O::ours));
  BOOST_TEST((crash::classify_pattern("|/b/dbg-worker core /d/crash %P", ours) == O::ours));
  BOOST_TEST((crash::classify_pattern("|/b/dbg-worker core /other/crash %P %i", ours) == O::other_instance));
  BOOST_TEST((crash::classify_pattern("@/run/systemd/coredump.socket", ours) == O::socket));
  BOOST_TEST((crash::classify_pattern("core", ours) == O::chainable));
  BOOST_TEST((crash::classify_pattern("", ours) == O::chainable));
  BOOST_TEST((crash::classify_pattern("|/usr/share/apport/apport -p%p -s%s -c%c", ours) == O::chainable));
  BOOST_TEST(crash::describe_owner("@/run/x.sock").find("coredump socket") != std::string::npos);
  BOOST_TEST(crash::describe_owner("|/b/dbg-worker core /other %P").find("/other") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(handler_json_has_the_watches_previous_and_limits) {
  std::vector<crash::CoreWatchSpec> w{{"w-1", std::string("^crasher"), false, {{"max_depth", 7}}},
                                      {"host", std::nullopt, true, json::object()}};
  auto j = crash::handler_json(77, "/data", "core", w, crash::HandlerLimits{});
  BOOST_TEST(j.at("v") == 1);
  BOOST_TEST(j.at("owner_pid") == 77);
  BOOST_TEST(j.at("instance") == "/data");
  BOOST_TEST(j.at("previous").at("core_pattern") == "core");
  BOOST_REQUIRE_EQUAL(j.at("watches").size(), 2u);
  BOOST_TEST(j.at("watches")[0].at("match") == "^crasher");
  BOOST_TEST(j.at("watches")[0].at("all") == false);
  BOOST_TEST(j.at("watches")[0].at("options").at("max_depth") == 7);
  BOOST_TEST(j.at("watches")[1].at("match").is_null());
  BOOST_TEST(j.at("watches")[1].at("all") == true);
  BOOST_TEST(j.at("limits").at("time_limit_ms") == 5000);
  BOOST_TEST(j.at("limits").at("spool_max_files") == 1000);

  TempDir dir;
  BOOST_REQUIRE(crash::write_file_atomic(dir.path() / "handler.json", j.dump()));
  BOOST_TEST(json::parse(slurp(dir.path() / "handler.json")) == j);
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++files;
  BOOST_TEST(files == 1);  // no temporary left behind
}

BOOST_AUTO_TEST_CASE(the_installer_saves_the_previous_value_keeps_it_across_a_kill_and_restores_it) {
  TempDir dir;
  const fs::path pattern_file = dir.path() / "core_pattern";
  spit(pattern_file, "|/usr/share/apport/apport -p%p -s%s\n");
  crash::InstallerConfig cfg;
  cfg.worker = "/b/dbg-worker";
  cfg.crash_dir = dir.path() / "crash";
  cfg.instance = dir.path().string();
  cfg.core_pattern_file = pattern_file;
  cfg.require_root = false;
  const std::string ours = crash::handler_pattern(cfg.worker, cfg.crash_dir).value();
  std::vector<crash::CoreWatchSpec> one{{"host", std::nullopt, true, json::object()}};
  {
    crash::Installer installer(cfg);
    BOOST_REQUIRE(installer.apply(one));
    BOOST_TEST(slurp(pattern_file) == ours + "\n");
    BOOST_TEST(slurp(cfg.crash_dir / "previous_core_pattern") == "|/usr/share/apport/apport -p%p -s%s\n");
    auto hj = json::parse(slurp(cfg.crash_dir / "handler.json"));
    BOOST_TEST(hj.at("previous").at("core_pattern") == "|/usr/share/apport/apport -p%p -s%s");
    BOOST_TEST(fs::is_directory(cfg.crash_dir / "spool" / "new"));
    // Killed: no uninstall. The next installer finds its own pattern and keeps the saved value.
  }
  {
    crash::Installer again(cfg);
    BOOST_REQUIRE(again.apply(one));
    BOOST_TEST(again.previous() == "|/usr/share/apport/apport -p%p -s%s");
    BOOST_TEST(json::parse(slurp(cfg.crash_dir / "handler.json")).at("previous").at("core_pattern") ==
               "|/usr/share/apport/apport -p%p -s%s");
    // No watch left: uninstalled, exactly the previous value back.
    BOOST_REQUIRE(again.apply({}));
    BOOST_TEST(!again.installed());
    BOOST_TEST(slurp(pattern_file) == "|/usr/share/apport/apport -p%p -s%s\n");
  }
}

BOOST_AUTO_TEST_CASE(the_installer_refuses_a_socket_and_another_instance_changing_nothing) {
  TempDir dir;
  const fs::path pattern_file = dir.path() / "core_pattern";
  crash::InstallerConfig cfg;
  cfg.worker = "/b/dbg-worker";
  cfg.crash_dir = dir.path() / "crash";
  cfg.core_pattern_file = pattern_file;
  cfg.require_root = false;
  std::vector<crash::CoreWatchSpec> one{{"host", std::nullopt, true, json::object()}};
  for (std::string owner : {"@/run/systemd/coredump.socket", "|/other/dbg-worker core /elsewhere %P %i"}) {
    spit(pattern_file, owner + "\n");
    crash::Installer installer(cfg);
    auto r = installer.apply(one);
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().code == "conflict");
    BOOST_TEST(!installer.check());
    BOOST_TEST(slurp(pattern_file) == owner + "\n");
    BOOST_TEST(!fs::exists(cfg.crash_dir / "handler.json"));
  }
}

BOOST_AUTO_TEST_CASE(a_report_becomes_the_event_a_ptrace_line_gives_with_the_same_signature) {
  auto r = crash::parse_core_report(sample_report().dump());
  BOOST_REQUIRE_MESSAGE(r, (r ? std::string() : r.error().message));
  const auto& e = r.value().event;
  BOOST_TEST(r.value().id == "boot-4242-1700000000-4242");
  BOOST_TEST(r.value().watch_id == "w-1");
  BOOST_TEST(e.source == "watch");
  BOOST_TEST(e.kind == "crash");
  BOOST_TEST(e.type == "SIGSEGV/SEGV_MAPERR");
  BOOST_TEST(e.pid == 4242);
  BOOST_TEST(e.comm == "crasher_O0");
  BOOST_REQUIRE_EQUAL(e.frames.size(), 2u);
  BOOST_TEST(e.frames[0].function.value_or("") == "store_through");
  BOOST_TEST(e.context.at("mode") == "core");
  BOOST_TEST(e.context.at("handler").at("analysis") == "full");
  BOOST_TEST(e.context.at("process").at("exe") == "/x/crasher_O0");
  BOOST_TEST(e.context.at("fault").at("class") == "null_page");

  auto ptrace = dbg::coord::watch::crash_to_event({{"type", "crash"}, {"pid", 4242}, {"context", sample_context()}}, "w-2");
  using dbg::coord::errors::compute_signature;
  BOOST_TEST(compute_signature(e.type, e.message, e.comm, e.frames).hash ==
             compute_signature(ptrace.type, ptrace.message, ptrace.comm, ptrace.frames).hash);
}

BOOST_AUTO_TEST_CASE(malformed_reports_are_refused_never_thrown) {
  auto refused = [](const std::string& text) {
    auto r = crash::parse_core_report(text);
    return !r && r.error().code == "bad_request";
  };
  BOOST_TEST(refused(""));
  BOOST_TEST(refused("{"));
  BOOST_TEST(refused("[]"));
  BOOST_TEST(refused("\"x\""));
  auto with = [](const std::function<void(json&)>& change) {
    json j = sample_report();
    change(j);
    return j.dump();
  };
  BOOST_TEST(refused(with([](json& j) { j["v"] = 2; })));
  BOOST_TEST(refused(with([](json& j) { j.erase("id"); })));
  BOOST_TEST(refused(with([](json& j) { j["id"] = "../../etc/passwd"; })));
  BOOST_TEST(refused(with([](json& j) { j["id"] = std::string(500, 'a'); })));
  BOOST_TEST(refused(with([](json& j) { j["pid"] = "12"; })));
  BOOST_TEST(refused(with([](json& j) { j["pid"] = -1; })));
  BOOST_TEST(refused(with([](json& j) { j["context"] = 3; })));
  BOOST_TEST(refused(with([](json& j) { j["context"]["threads"] = "x"; })));
  BOOST_TEST(refused(with([](json& j) { j["context"]["message"] = 5; })));
  BOOST_TEST(refused(with([](json& j) { j["context"]["threads"][0]["frames"] = 5; })));
  BOOST_TEST(refused(with([](json& j) { j["context"]["threads"][0]["frames"][0]["pc"] = json::array(); })));
  BOOST_TEST(refused(with([](json& j) { j["context"]["threads"][0]["frames"][0].erase("pc"); })));
  BOOST_TEST(refused(std::string(crash::kMaxReportBytes + 1, ' ')));
  // A minimal report (no stacks) is fine.
  BOOST_TEST(!refused(with([](json& j) { j["context"]["threads"] = json::array(); })));
}

BOOST_AUTO_TEST_CASE(drop_counters_are_parsed_skipping_bad_entries_and_taken_once) {
  auto counts = crash::parse_counters(R"({"v":1,"dropped":[
      {"exe":"/x/a","comm":"a","signal":11,"count":3,"first_ms":1,"last_ms":5},
      {"exe":"/x/b","comm":"b","signal":6,"count":"many"}, 7,
      {"exe":"*","comm":"*","signal":0,"count":2,"first_ms":2,"last_ms":3}]})");
  BOOST_REQUIRE_EQUAL(counts.size(), 2u);
  BOOST_TEST(counts[0].exe == "/x/a");
  BOOST_TEST(counts[0].count == 3u);
  BOOST_TEST(crash::parse_counters("not json").empty());

  TempDir dir;
  spit(dir.path() / "counters.json", R"({"v":1,"dropped":[{"exe":"/x/a","comm":"a","signal":11,"count":4}]})");
  auto taken = crash::take_counters(dir.path());
  BOOST_REQUIRE_EQUAL(taken.size(), 1u);
  BOOST_TEST(taken[0].count == 4u);
  BOOST_TEST(!fs::exists(dir.path() / "counters.json"));
  BOOST_TEST(crash::take_counters(dir.path()).empty());
  int left = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++left;
  BOOST_TEST(left == 0);

  crash::DroppedTotals totals;
  totals.add(taken);
  totals.add(taken);
  BOOST_TEST(totals.total() == 8u);
  BOOST_TEST(totals.to_json().at(0).at("count") == 8);
}

BOOST_AUTO_TEST_CASE(the_spool_hands_over_reports_unlinks_stored_ones_and_moves_bad_ones_away) {
  TempDir dir;
  const fs::path spool = dir.path() / "spool";
  fs::create_directories(spool / "new");
  spit(spool / "new" / "a.json", sample_report("key-a").dump());
  spit(spool / "new" / "bad.json", "{not json");
  std::mutex m;
  std::vector<std::string> seen;
  std::atomic<int> refuse_first{1};
  crash::SpoolIngest ingest(
      dir.path(),
      [&](crash::CoreReport r, crash::SpoolIngest::Done done) {
        {
          std::lock_guard lock(m);
          seen.push_back(r.id);
        }
        // The first hand-over is "not stored": the file stays and is offered again.
        done(refuse_first.fetch_sub(1) <= 0);
      },
      nullptr);
  ingest.start();
  auto wait_for = [&](const std::function<bool()>& cond) {
    for (int i = 0; i < 300 && !cond(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return cond();
  };
  BOOST_TEST(wait_for([&] { return fs::exists(spool / "bad" / "bad.json"); }));
  // Written while running: inotify, not the 2 s rescan, brings it in.
  spit(spool / "new" / ".b.tmp", sample_report("key-b").dump());
  fs::rename(spool / "new" / ".b.tmp", spool / "new" / "b.json");
  BOOST_TEST(wait_for([&] { return !fs::exists(spool / "new" / "b.json"); }));
  BOOST_TEST(wait_for([&] { return !fs::exists(spool / "new" / "a.json"); }));  // after a rescan
  ingest.stop();
  std::lock_guard lock(m);
  BOOST_TEST(std::count(seen.begin(), seen.end(), "key-a") == 2);
  BOOST_TEST(std::count(seen.begin(), seen.end(), "key-b") == 1);
  BOOST_TEST(!fs::exists(spool / "new" / "bad.json"));
}
