// Core mode end to end: the real dbgcoord installs the real handler (`dbg-worker core`) in
// /proc/sys/kernel/core_pattern, real crashers die, the handler spools its reports and the
// coordinator ingests them into the error groups. Every case that changes core_pattern holds a
// CorePatternGuard (restored even when a check fails; the core_pattern fixture restores it
// after a test process that died).
#define BOOST_TEST_MODULE coordinator_core_capture
#include <boost/test/unit_test.hpp>

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "coordinator/crash/core_pattern.hpp"
#include "coordinator_test_client.hpp"
#include "core_pattern_guard.hpp"
#include "test_support.hpp"

using namespace dbg::coord::test;
using dbg::test::ChildProcess;
using dbg::test::CorePatternGuard;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string trimmed(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

std::string our_pattern(const fs::path& data_dir) {
  return dbg::coord::crash::handler_pattern(fs::absolute(dbg::test::bin_path("dbg-worker")).lexically_normal(),
                                            fs::absolute(data_dir / "crash").lexically_normal())
      .value();
}

bool wait_until(const std::function<bool()>& cond, std::chrono::milliseconds timeout = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return cond();
}

// Handlers still running for this crash directory (their command line names it).
bool handlers_done(const fs::path& crash_dir) {
  const std::string needle = " core " + crash_dir.string() + " ";
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir("/proc"), ::closedir);
  while (dirent* e = ::readdir(d.get())) {
    const int pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    std::string cmdline = read_text("/proc/" + std::string(e->d_name) + "/cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(needle) != std::string::npos) return false;
  }
  return true;
}

std::size_t files_in(const fs::path& dir) {
  if (!fs::is_directory(dir)) return 0;
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

bool died_of_signal(int status) { return WIFSIGNALED(status); }

// In host mode every crash on the machine is reported, other tests' too: only the groups of
// this test's targets (a frame in a crasher, or the synthetic reports) are counted.
bool ours(const json& group) {
  for (const auto& f : group.value("frames", json::array())) {
    const std::string module = f.value("module", "");
    if (module.find("crasher") != std::string::npos || module == "synthetic") return true;
  }
  return false;
}

json our_groups(const json& groups) {
  json out = json::array();
  for (const auto& g : groups)
    if (ours(g)) out.push_back(g);
  return out;
}

// A dbgcoord on a data dir of its own (kept across restarts of the server).
struct Server {
  explicit Server(const fs::path& data, std::vector<std::string> extra = {}) : data_dir(data) {
    std::vector<std::string> args{"--listen", "127.0.0.1:0", "--data-dir", data.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    c.emplace(start_coordinator(args));
    token = trimmed(read_text(data / "token"));
  }

  HttpReply request(const std::string& method, const std::string& target, const std::string& body = {}) {
    return authorized_request(c->port, token, method, target, body);
  }
  json get(const std::string& target) {
    auto r = request("GET", target);
    BOOST_REQUIRE_MESSAGE(r.status == 200, target << ": " << r.status << " " << r.body);
    return json::parse(r.body);
  }
  // Every group, once their counts add up to at least `events`.
  json groups_when_total(int64_t events) {
    json groups;
    wait_until([&] {
      groups = our_groups(get("/api/v1/errors?limit=100").at("groups"));
      int64_t total = 0;
      for (const auto& g : groups) total += g.at("count").get<int64_t>();
      return total >= events;
    });
    return groups;
  }
  int64_t total_events() {
    int64_t total = 0;
    for (const auto& g : our_groups(get("/api/v1/errors?limit=100").at("groups"))) total += g.at("count").get<int64_t>();
    return total;
  }
  int stop(int sig) {
    c->process.signal(sig);
    auto status = c->process.wait(30s);
    BOOST_REQUIRE_MESSAGE(status, "dbgcoord did not exit after signal " << sig);
    c.reset();
    return *status;
  }

  fs::path data_dir;
  std::optional<Coordinator> c;
  std::string token;
};

// Runs a crasher to its crash (after "ready"), not watched by anyone in particular.
int crash_target(const std::string& target, const std::vector<std::string>& args,
                 const std::function<void(pid_t)>& before_go = nullptr) {
  std::vector<std::string> argv{dbg::test::target_path(target)};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess child(argv);
  BOOST_REQUIRE(child.wait_for_line("ready", 10s));
  if (before_go) before_go(child.pid());
  BOOST_REQUIRE(child.write_stdin("go\n"));
  auto status = child.wait(60s);
  BOOST_REQUIRE(status);
  return *status;
}

// A crash report as the handler writes it (for the cases that need no real crash).
json synthetic_report(const std::string& id, int pid, const std::string& function) {
  json frame = {{"pc", "0x401136"}, {"function", function}, {"module", "synthetic"}, {"offset", "0x1136"}};
  return {{"v", 1},
          {"type", "crash"},
          {"mode", "core"},
          {"id", id},
          {"pid", pid},
          {"watch_id", "host"},
          {"process", {{"comm", "synthetic"}}},
          {"context",
           {{"type", "SIGSEGV/SEGV_MAPERR"},
            {"message", "SIGSEGV at 0x0"},
            {"comm", "synthetic"},
            {"pid", pid},
            {"timestamp_ms", 1700000000000},
            {"threads", json::array({{{"tid", pid}, {"crashing", true}, {"frames", json::array({frame})}}})}}},
          {"handler", {{"analysis", "full"}, {"chain", "none"}, {"chain_result", "ok"}}}};
}

void write_report(const fs::path& spool_new, const json& report) {
  fs::create_directories(spool_new);
  const fs::path tmp = spool_new.parent_path() / (report.at("id").get<std::string>() + ".tmp");
  {
    std::ofstream out(tmp);
    out << report.dump();
  }
  fs::rename(tmp, spool_new / (report.at("id").get<std::string>() + ".json"));
}

}  // namespace

BOOST_AUTO_TEST_CASE(host_mode_installs_restores_on_sigterm_and_a_sigkill_leaves_a_handler_that_still_spools) {
  CorePatternGuard guard;
  guard.set("core");
  TempDir data;
  const std::string ours = our_pattern(data.path());
  const fs::path crash_dir = data.path() / "crash";
  {
    Server s(data.path(), {"--crash-capture", "host"});
    BOOST_TEST(dbg::test::read_core_pattern() == ours);
    auto hj = json::parse(read_text(crash_dir / "handler.json"));
    BOOST_TEST(hj.at("previous").at("core_pattern") == "core");
    BOOST_TEST(hj.at("watches").at(0).at("all") == true);
    auto list = s.get("/api/v1/watches");
    BOOST_TEST(list.at("crash_capture").at("mode") == "core");
    BOOST_TEST(list.at("crash_capture").at("line") == "core (host)");
    BOOST_TEST(died_of_signal(s.stop(SIGTERM)) == false);
  }
  BOOST_TEST(dbg::test::read_core_pattern() == "core");

  // Killed: the handler stays installed, and still spools while no coordinator runs.
  {
    Server s(data.path(), {"--crash-capture", "host"});
    BOOST_TEST(dbg::test::read_core_pattern() == ours);
    s.stop(SIGKILL);
  }
  BOOST_TEST(dbg::test::read_core_pattern() == ours);
  const int status = crash_target("crasher_O0", {"null"});
  BOOST_TEST(WIFSIGNALED(status));
  BOOST_TEST(wait_until([&] { return handlers_done(crash_dir); }));
  BOOST_TEST(wait_until([&] { return files_in(crash_dir / "spool" / "new") == 1u; }));

  // The next start keeps the original previous value, ingests the report, and a clean stop
  // restores exactly that value.
  {
    Server s(data.path(), {"--crash-capture", "host"});
    BOOST_TEST(dbg::test::read_core_pattern() == ours);
    BOOST_TEST(json::parse(read_text(crash_dir / "handler.json")).at("previous").at("core_pattern") == "core");
    BOOST_TEST(trimmed(read_text(crash_dir / "previous_core_pattern")) == "core");
    auto groups = s.groups_when_total(1);
    BOOST_REQUIRE_EQUAL(groups.size(), 1u);
    BOOST_TEST(groups.at(0).at("type") == "SIGSEGV/SEGV_MAPERR");
    BOOST_TEST(wait_until([&] { return files_in(crash_dir / "spool" / "new") == 0u; }));
    s.stop(SIGTERM);
  }
  BOOST_TEST(dbg::test::read_core_pattern() == "core");
}

BOOST_AUTO_TEST_CASE(crashes_while_the_coordinator_is_down_are_ingested_once) {
  CorePatternGuard guard;
  guard.set("core");
  TempDir data;
  const fs::path crash_dir = data.path() / "crash";
  const fs::path spool_new = crash_dir / "spool" / "new";
  {
    Server s(data.path(), {"--crash-capture", "host"});
    s.stop(SIGKILL);
  }
  // Down: three crashes of two kinds.
  for (const char* kind : {"null", "divzero", "null"}) BOOST_TEST(WIFSIGNALED(crash_target("crasher_O2", {kind})));
  BOOST_TEST(wait_until([&] { return handlers_done(crash_dir); }));
  BOOST_REQUIRE(wait_until([&] { return files_in(spool_new) == 3u; }));
  // One report kept aside: handed over again later, as if a coordinator had been killed between
  // its COMMIT and the unlink.
  fs::path again;
  for (const auto& e : fs::directory_iterator(spool_new)) again = e.path();
  const std::string again_text = read_text(again);
  {
    Server s(data.path(), {"--crash-capture", "host"});
    auto groups = s.groups_when_total(3);
    BOOST_TEST(groups.size() == 2u);
    BOOST_TEST(s.total_events() == 3);
    BOOST_TEST(wait_until([&] { return files_in(spool_new) == 0u; }));
    {
      std::ofstream out(crash_dir / "spool" / "again.tmp");
      out << again_text;
    }
    fs::rename(crash_dir / "spool" / "again.tmp", again);
    BOOST_TEST(wait_until([&] { return files_in(spool_new) == 0u; }));
    std::this_thread::sleep_for(300ms);
    BOOST_TEST(s.total_events() == 3);  // its ingest key was known: skipped
    auto stats = s.get("/api/v1/stats");
    BOOST_TEST(stats.at("crash_capture").at("reports_duplicate").get<int>() >= 1);
    s.stop(SIGTERM);
  }
  // A restart ingests nothing again.
  {
    Server s(data.path());
    std::this_thread::sleep_for(500ms);
    BOOST_TEST(s.total_events() == 3);
    s.stop(SIGTERM);
  }
  BOOST_TEST(dbg::test::read_core_pattern() == "core");
}

BOOST_AUTO_TEST_CASE(a_malformed_report_goes_to_spool_bad_and_the_rest_are_ingested) {
  TempDir data;
  const fs::path spool = data.path() / "crash" / "spool";
  write_report(spool / "new", synthetic_report("synthetic-1", 101, "first_function"));
  {
    std::ofstream out(spool / "new" / "broken.json");
    out << "{\"v\":1,\"type\":\"crash\",\"id\":";
  }
  write_report(spool / "new", synthetic_report("synthetic-2", 102, "second_function"));
  // Crashes a full spool could not hold, as the handler counts them.
  {
    std::ofstream out(spool / "counters.json");
    out << R"({"v":1,"dropped":[{"exe":"/x/storm","comm":"storm","signal":11,"count":7,"first_ms":1,"last_ms":2}]})";
  }
  Server s(data.path());
  auto groups = s.groups_when_total(2);
  BOOST_TEST(groups.size() == 2u);
  BOOST_TEST(wait_until([&] { return files_in(spool / "new") == 0u; }));
  BOOST_TEST(fs::exists(spool / "bad" / "broken.json"));
  // While running too (inotify).
  write_report(spool / "new", synthetic_report("synthetic-3", 103, "first_function"));
  BOOST_TEST(wait_until([&] { return s.total_events() == 3; }, 5s));
  auto metrics = s.request("GET", "/metrics");
  BOOST_TEST(metrics.body.find("dbgcoord_crash_reports_bad_total 1") != std::string::npos);
  BOOST_TEST(metrics.body.find("dbgcoord_crash_reports_ingested_total 3") != std::string::npos);
  BOOST_TEST(metrics.body.find("dbgcoord_crash_capture_mode{mode=\"off\"} 1") != std::string::npos);
  BOOST_TEST(metrics.body.find("dbgcoord_crash_spool_depth") != std::string::npos);
  BOOST_TEST(metrics.body.find("dbgcoord_crash_dropped_total 7") != std::string::npos);
  BOOST_TEST(!fs::exists(spool / "counters.json"));
  auto cc = s.get("/api/v1/stats").at("crash_capture");
  BOOST_TEST(cc.at("dropped_total") == 7);
  BOOST_TEST(cc.at("dropped").at(0).at("exe") == "/x/storm");
  BOOST_TEST(cc.at("dropped").at(0).at("signal") == 11);
  // The event's context says how it was caught.
  auto detail = s.get("/api/v1/errors/" + std::to_string(groups.at(0).at("id").get<int64_t>()));
  const auto& ctx = detail.at("events").at(0).at("context");
  BOOST_TEST(ctx.at("mode") == "core");
  BOOST_TEST(ctx.at("handler").at("analysis") == "full");
}

BOOST_AUTO_TEST_CASE(core_watches_are_created_listed_counted_and_deleted_through_the_api) {
  CorePatternGuard guard;
  guard.set("core");
  TempDir data;
  Server s(data.path());
  const std::string ours = our_pattern(data.path());
  BOOST_TEST(s.request("POST", "/api/v1/watches", R"({"mode":"core","pid":1})").status == 400);
  BOOST_TEST(s.request("POST", "/api/v1/watches", R"({"mode":"core"})").status == 400);
  BOOST_TEST(s.request("POST", "/api/v1/watches", R"({"all":true})").status == 400);
  BOOST_TEST(s.request("POST", "/api/v1/watches", R"({"mode":"kernel","match":"x"})").status == 400);
  auto created = s.request("POST", "/api/v1/watches", R"({"mode":"core","match":"^crasher_O2$"})");
  BOOST_REQUIRE_MESSAGE(created.status == 201, created.body);
  const auto w = json::parse(created.body);
  BOOST_TEST(w.at("mode") == "core");
  BOOST_TEST(dbg::test::read_core_pattern() == ours);
  auto hj = json::parse(read_text(data.path() / "crash" / "handler.json"));
  BOOST_REQUIRE_EQUAL(hj.at("watches").size(), 1u);
  BOOST_TEST(hj.at("watches").at(0).at("id") == w.at("id"));
  BOOST_TEST(hj.at("watches").at(0).at("match") == "^crasher_O2$");
  auto list = s.get("/api/v1/watches");
  BOOST_TEST(list.at("crash_capture").at("line") == "core (1 watch)");
  BOOST_TEST(list.at("watches").at(0).at("mode") == "core");

  BOOST_TEST(WIFSIGNALED(crash_target("crasher_O2", {"abort"})));
  const std::string id = w.at("id");
  BOOST_TEST(wait_until([&] { return s.get("/api/v1/watches/" + id).at("crashes") == 1; }));
  auto got = s.get("/api/v1/watches/" + id);
  BOOST_TEST(got.at("last_event").at("type").get<std::string>().find("SIGABRT") == 0u);
  auto groups = s.groups_when_total(1);
  BOOST_REQUIRE_EQUAL(groups.size(), 1u);
  BOOST_TEST(!groups.at(0).at("frames").empty());

  // Persisted: a restart resumes it (installed again, from a handler already in place).
  s.stop(SIGTERM);
  BOOST_TEST(dbg::test::read_core_pattern() == "core");
  Server again(data.path());
  BOOST_TEST(wait_until([&] { return dbg::test::read_core_pattern() == ours; }));
  BOOST_TEST(again.get("/api/v1/watches/" + id).at("mode") == "core");
  auto deleted = again.request("DELETE", "/api/v1/watches/" + id);
  BOOST_TEST(deleted.status == 200);
  BOOST_TEST(wait_until([&] { return dbg::test::read_core_pattern() == "core"; }));
  again.stop(SIGTERM);
}

BOOST_AUTO_TEST_CASE(a_coredump_socket_is_a_409_and_nothing_changes) {
  CorePatternGuard guard;
  try {
    guard.set("@/run/dbgcoord-test-coredump.socket");
  } catch (const std::exception&) {
    BOOST_TEST_MESSAGE("this kernel refuses @socket core patterns (before 6.16): skipped");
    return;
  }
  TempDir data;
  {
    Server s(data.path());
    auto r = s.request("POST", "/api/v1/watches", R"({"mode":"core","all":true})");
    BOOST_TEST(r.status == 409);
    BOOST_TEST(r.header("content-type").find("application/problem+json") == 0u);
    BOOST_TEST(r.body.find("coredump socket") != std::string::npos);
    BOOST_TEST(s.get("/api/v1/watches").at("watches").empty());
    BOOST_TEST(dbg::test::read_core_pattern() == "@/run/dbgcoord-test-coredump.socket");
    s.stop(SIGTERM);
  }
  // --crash-capture host refuses to start: exit 1, the pattern untouched.
  ChildProcess child({dbg::test::bin_path("dbgcoord"), "--listen", "127.0.0.1:0", "--data-dir", data.path().string(),
                      "--crash-capture", "host"});
  auto status = child.wait(30s);
  BOOST_REQUIRE(status);
  BOOST_TEST(WIFEXITED(*status));
  BOOST_TEST(WEXITSTATUS(*status) == 1);
  BOOST_TEST(dbg::test::read_core_pattern() == "@/run/dbgcoord-test-coredump.socket");
}

BOOST_AUTO_TEST_CASE(not_root_is_a_403) {
  if (::geteuid() != 0 || ::access("/usr/bin/setpriv", X_OK) != 0) {
    BOOST_TEST_MESSAGE("needs root and setpriv to run dbgcoord as nobody: skipped");
    return;
  }
  TempDir data;
  const fs::path dir = data.path() / "nobody";
  fs::create_directories(dir);
  BOOST_REQUIRE(::chown(dir.c_str(), 65534, 65534) == 0);
  fs::permissions(data.path(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  const std::string before = dbg::test::read_core_pattern();
  std::vector<std::string> argv{"/usr/bin/setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                                dbg::test::bin_path("dbgcoord"), "--listen", "127.0.0.1:0", "--data-dir", dir.string()};
  ChildProcess child(argv);
  auto line = child.read_line(10s);
  if (!line || !parse_startup_port(*line)) {
    BOOST_TEST_MESSAGE("dbgcoord does not start as nobody here (" << line.value_or("no line") << "): skipped");
    return;
  }
  const int port = *parse_startup_port(*line);
  const std::string token = trimmed(read_text(dir / "token"));
  HttpConnection conn(port);
  conn.send_request("POST", "/api/v1/watches", R"({"mode":"core","match":"x"})",
                    {"Connection: close", "Authorization: Bearer " + token, "Content-Type: application/json"});
  auto r = conn.read_response(30s);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->status == 403);
  BOOST_TEST(r->body.find("root") != std::string::npos);
  BOOST_TEST(dbg::test::read_core_pattern() == before);
  child.signal(SIGTERM);
  child.wait(30s);
}

// Every crash kind the ptrace watch tests cover, caught in core mode and under the ptrace watch:
// the same error group (signature) either way, with frames. In host mode the ptrace-watched
// crash is reported by the handler too, so each kind's group gets 3 events: 2 core, 1 ptrace.
BOOST_AUTO_TEST_CASE(each_crash_kind_lands_in_the_same_group_in_core_and_ptrace_mode) {
  CorePatternGuard guard;
  guard.set("core");
  TempDir data;
  Server s(data.path(), {"--crash-capture", "host"});
  const std::vector<std::pair<std::string, std::vector<std::string>>> kinds = {
      {"crasher_O0", {"null"}},   {"crasher_O0", {"wild"}},        {"crasher_O0", {"divzero"}},
      {"crasher_O0", {"assert"}}, {"crasher_O0", {"abort"}},       {"crasher_O0", {"double_free"}},
      {"crasher_O2", {"null"}},   {"cxx_crasher", {}}};
  int64_t expected = 0;
  for (const auto& [target, args] : kinds) {
    BOOST_TEST(WIFSIGNALED(crash_target(target, args)));
    expected += 1;
    BOOST_TEST(wait_until([&] { return s.total_events() >= expected; }));
    BOOST_TEST(WIFSIGNALED(crash_target(target, args, [&](pid_t pid) {
      auto w = s.request("POST", "/api/v1/watches", json{{"pid", pid}}.dump());
      BOOST_REQUIRE_MESSAGE(w.status == 201, w.body);
    })));
    expected += 2;
    BOOST_TEST(wait_until([&] { return s.total_events() >= expected; }),
               target << " " << (args.empty() ? "" : args[0]) << ": " << s.total_events() << " events of " << expected);
  }
  auto groups = s.groups_when_total(expected);
  // One group per kind, but null and wild of crasher_O0: the same crashing frame
  // (store_through), and the signature does not hold the address.
  BOOST_TEST(groups.size() == kinds.size() - 1, groups.dump());
  for (const auto& g : groups) {
    BOOST_TEST(!g.at("frames").empty());
    auto detail = s.get("/api/v1/errors/" + std::to_string(g.at("id").get<int64_t>()) + "?events=20");
    int core = 0, ptrace = 0;
    for (const auto& e : detail.at("events")) (e.at("context").value("mode", "") == "core" ? core : ptrace)++;
    BOOST_TEST(ptrace >= 1, g.at("type") << ": " << ptrace << " ptrace events");
    BOOST_TEST(core == 2 * ptrace, g.at("type") << ": " << core << " core events, " << ptrace << " ptrace");
    BOOST_TEST(g.at("count") == core + ptrace);
  }
  s.stop(SIGTERM);
  BOOST_TEST(dbg::test::read_core_pattern() == "core");
}
