// `dbg-worker core` installed as the kernel's core_pattern (CorePatternGuard: restored whatever
// happens, serialized with every other test that changes it): real crashers die, the kernel runs
// the handler with their core on its stdin, and the spooled report must say what the ptrace watch
// says about the same kind of crash. Then the bounds: an unselected process, the time limit, a
// 1 GiB process, a storm of 200 crashes, a full spool, no free analysis slot.
#define BOOST_TEST_MODULE worker_core
#include <boost/test/unit_test.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "coordinator/errors/signature.hpp"
#include "coordinator/watch/crash_event.hpp"
#include "core_pattern_guard.hpp"
#include "dbg/unique_fd.hpp"
#include "watch_client.hpp"
#include "worker_fixture.hpp"

using namespace dbg::test;
using nlohmann::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string boot_id() {
  std::string id = read_text("/proc/sys/kernel/random/boot_id");
  while (!id.empty() && id.back() == '\n') id.pop_back();
  return id;
}

// A crash directory of our own with the handler installed as core_pattern for the lifetime of
// the fixture. handler.json starts as "select everything".
class InstalledHandler {
 public:
  InstalledHandler() {
    char dir_template[] = "/tmp/dbgc-XXXXXX";  // short: core_pattern holds at most 127 bytes
    BOOST_REQUIRE(::mkdtemp(dir_template));
    dir_ = dir_template;
    write_config(json::parse(R"({"watches":[{"id":"w-all","match":null,"all":true}]})"));
    const std::string pattern =
        "|" + bin_path("dbg-worker") + " core " + dir_ + " %P %i %I %s %c %d %t %u %g %p %h %e %E";
    BOOST_REQUIRE_MESSAGE(pattern.size() <= 127, "core_pattern too long: " << pattern);
    guard_.set(pattern);
  }
  ~InstalledHandler() {
    // Back to what it was before anything else is cleaned up: a crash from now on is not ours.
    try {
      write_core_pattern(guard_.original());
    } catch (...) {
    }
    wait_for_handlers();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  InstalledHandler(const InstalledHandler&) = delete;
  InstalledHandler& operator=(const InstalledHandler&) = delete;

  const std::string& dir() const { return dir_; }

  // handler.json as the coordinator writes it: the whole document (v, previous added), then a
  // rename over the old one.
  // `previous` is the core_pattern the handler hands the core on to (what the coordinator saved).
  void write_config(json config, const std::string& previous = "core") {
    config["v"] = 1;
    config["owner_pid"] = ::getpid();
    config["instance"] = dir_;
    config["previous"] = {{"core_pattern", previous}};
    const std::string tmp = dir_ + "/handler.json.tmp";
    {
      std::ofstream out(tmp);
      out << config.dump();
    }
    fs::rename(tmp, dir_ + "/handler.json");
  }

  // Handlers still running for this crash directory (their command line names it).
  std::vector<pid_t> live_handlers() const {
    std::vector<pid_t> out;
    DIR* d = ::opendir("/proc");
    if (!d) return out;
    while (dirent* e = ::readdir(d)) {
      const pid_t pid = std::atoi(e->d_name);
      if (pid <= 0 || pid == ::getpid()) continue;
      std::string cmdline = read_text("/proc/" + std::string(e->d_name) + "/cmdline");
      std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
      if (cmdline.find(" core " + dir_ + " ") != std::string::npos) out.push_back(pid);
    }
    ::closedir(d);
    return out;
  }
  // Every handler of ours has exited (a handler writes its report after handing the core on,
  // so the crashed process can be reaped a moment before its report appears).
  bool wait_for_handlers(std::chrono::seconds timeout = std::chrono::seconds(60)) const {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (live_handlers().empty()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  std::vector<json> reports() const {
    std::vector<json> out;
    const fs::path dir = fs::path(dir_) / "spool" / "new";
    if (!fs::is_directory(dir)) return out;
    for (const auto& entry : fs::directory_iterator(dir)) {
      auto j = json::parse(read_text(entry.path()), nullptr, false);
      BOOST_REQUIRE_MESSAGE(!j.is_discarded(), "not JSON: " << entry.path());
      BOOST_TEST(entry.path().filename().string() == j.at("id").get<std::string>() + ".json");
      out.push_back(std::move(j));
    }
    return out;
  }
  // The report of pid, once its handler is done; null when there is none.
  json report_of(pid_t pid) const {
    BOOST_REQUIRE_MESSAGE(wait_for_handlers(), "a handler did not finish");
    for (auto& r : reports()) {
      if (r.at("pid") == pid) return r;
    }
    return nullptr;
  }
  json counters() const {
    const fs::path path = fs::path(dir_) / "spool" / "counters.json";
    if (!fs::exists(path)) return nullptr;
    return json::parse(read_text(path));
  }
  size_t tmp_files() const {
    const fs::path dir = fs::path(dir_) / "spool" / "tmp";
    if (!fs::is_directory(dir)) return 0;
    return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
  }

 private:
  CorePatternGuard guard_;
  std::string dir_;
};

// Waits until the target's `threads` threads exist and all sleep (main in its read of stdin,
// the others in pause()): a crash sent earlier would catch a thread still starting, in both modes.
void wait_until_settled(pid_t pid, size_t threads) {
  for (int i = 0; i < 5000; ++i) {
    auto tids = thread_ids(pid);
    bool settled = tids.size() == threads;
    for (pid_t t : tids) settled = settled && thread_state(pid, t) == 'S';
    if (settled) return;
    ::usleep(1000);
  }
  BOOST_FAIL("target " << pid << " did not settle with " << threads << " sleeping threads");
}

// The pid (initial namespace) of a process named `comm` whose parent or grandparent is `root`.
pid_t descendant_named(pid_t root, const std::string& comm) {
  auto parent_of = [](pid_t pid) -> pid_t {
    std::string status = read_text("/proc/" + std::to_string(pid) + "/status");
    auto at = status.find("\nPPid:");
    return at == std::string::npos ? 0 : std::atoi(status.c_str() + at + 6);
  };
  for (int i = 0; i < 5000; ++i) {
    DIR* d = ::opendir("/proc");
    BOOST_REQUIRE(d);
    pid_t found = 0;
    while (dirent* e = ::readdir(d)) {
      const pid_t pid = std::atoi(e->d_name);
      if (pid <= 0) continue;
      std::string name = read_text("/proc/" + std::string(e->d_name) + "/comm");
      if (!name.empty() && name.back() == '\n') name.pop_back();
      if (name != comm) continue;
      const pid_t parent = parent_of(pid);
      if (parent == root || (parent > 0 && parent_of(parent) == root)) found = pid;
    }
    ::closedir(d);
    if (found) return found;
    ::usleep(1000);
  }
  BOOST_FAIL("no " << comm << " below " << root);
  return 0;
}

struct Crash {
  pid_t pid = 0;
  int status = 0;
};

// Runs `target args`, lets it settle, tells it to crash, and reaps it.
Crash crash(const std::string& target, const std::vector<std::string>& args, size_t threads) {
  auto child = start_target(target, args);
  wait_until_settled(child.pid(), threads);
  BOOST_REQUIRE(child.write_stdin("go\n"));
  auto status = child.wait(std::chrono::seconds(60));
  BOOST_REQUIRE_MESSAGE(status, target << " did not die");
  return {child.pid(), *status};
}

// The same kind of crash under the ptrace watch: its crash context.
json watched_context(const std::string& target, const std::vector<std::string>& args, size_t threads) {
  auto child = start_target(target, args);
  wait_until_settled(child.pid(), threads);
  WatchClient watcher;
  auto added = watcher.add(child.pid());
  BOOST_REQUIRE_MESSAGE(added.at("type") == "result", added.dump());
  BOOST_REQUIRE(child.write_stdin("go\n"));
  json context;
  for (const auto& e : watcher.events_until_end(child.pid())) {
    if (e.at("type") == "crash") context = e.at("context");
  }
  BOOST_REQUIRE(child.wait(std::chrono::seconds(60)));
  BOOST_REQUIRE_MESSAGE(!context.is_null(), "the watch saw no crash of " << target);
  return context;
}

const json& crashing_thread(const json& ctx) {
  const auto& t = ctx.at("threads").at(0);
  BOOST_REQUIRE(t.value("crashing", false));
  return t;
}

std::vector<std::string> top_names(const json& ctx) { return real_function_names(crashing_thread(ctx)); }

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

// Addresses differ from run to run (ASLR); the rest of a message must not.
std::string without_addresses(const std::string& s) { return std::regex_replace(s, std::regex("0x[0-9a-f]+"), "0x?"); }

// The error group the coordinator files a crash context under: its signature, computed as the
// coordinator computes it for the watch's crash line (coordinator/watch/crash_event.cpp).
dbg::coord::errors::Signature coordinator_signature(const json& context) {
  auto e = dbg::coord::watch::crash_to_event({{"type", "crash"}, {"pid", context.at("pid")}, {"context", context}}, "w");
  return dbg::coord::errors::compute_signature(e.type, e.message, e.comm, e.frames);
}

// What every full report holds, whatever the crash.
void check_envelope(const json& r, pid_t pid, const std::string& comm) {
  BOOST_TEST(r.at("v") == 1);
  BOOST_TEST(r.at("type") == "crash");
  BOOST_TEST(r.at("mode") == "core");
  BOOST_TEST(r.at("pid") == pid);
  const std::string id = r.at("id");
  BOOST_TEST(id.rfind(boot_id() + "-" + std::to_string(pid) + "-", 0) == 0u, id);
  BOOST_TEST(r.at("watch_id") == "w-all");
  const auto& p = r.at("process");
  BOOST_TEST(p.at("comm") == comm);
  BOOST_TEST(contains(p.at("exe"), comm));
  BOOST_TEST(contains(p.at("cmdline"), comm));
  BOOST_TEST(p.at("uid") == ::getuid());
  BOOST_TEST(p.at("gid") == ::getgid());
  BOOST_TEST(p.at("start_time").get<uint64_t>() > 0u);
  const auto& h = r.at("handler");
  BOOST_TEST(h.at("elapsed_ms").get<int64_t>() >= 0);
  BOOST_TEST(h.at("peak_rss_kb").get<int64_t>() > 0);
  BOOST_TEST(h.at("core_bytes").get<uint64_t>() > 0u);
  BOOST_TEST(h.at("chain").is_string());
  BOOST_TEST(h.at("chain_result").is_string());
  BOOST_TEST(r.at("context").at("pid") == pid);
}

struct Kind {
  std::string target;
  std::vector<std::string> args;
  size_t threads;              // at the crash
  size_t settled_threads = 0;  // before it (0: the same)
};

// One crash of `kind` in core mode and one under the ptrace watch; checks the report and that
// both modes say the same: type, signal, code, message, the crashing thread's first functions,
// the coordinator's error signature, the fault's class, the crashing frame's key variables.
// Returns the core-mode context.
json core_and_watch_agree(InstalledHandler& handler, const Kind& kind) {
  const size_t settled = kind.settled_threads ? kind.settled_threads : kind.threads;
  Crash c = crash(kind.target, kind.args, settled);
  BOOST_TEST(WIFSIGNALED(c.status));
  BOOST_TEST(WCOREDUMP(c.status), "the kernel must report the core dumped to the handler");
  json report = handler.report_of(c.pid);
  BOOST_REQUIRE_MESSAGE(!report.is_null(), "no report for " << kind.target);
  BOOST_TEST_MESSAGE(kind.target << " " << (kind.args.empty() ? "" : kind.args[0]) << ": handler " << report.at("handler").dump());
  const std::string comm = kind.target.substr(0, 15);
  check_envelope(report, c.pid, comm);
  BOOST_TEST(report.at("handler").at("analysis") == "full");
  const json ctx = report.at("context");
  BOOST_TEST(WTERMSIG(c.status) == ctx.at("signal").get<int>());
  BOOST_TEST(ctx.at("threads").size() == kind.threads);
  BOOST_TEST(ctx.at("comm") == comm);

  const json watched = watched_context(kind.target, kind.args, settled);
  BOOST_TEST(ctx.at("type") == watched.at("type"));
  BOOST_TEST(ctx.at("signal") == watched.at("signal"));
  BOOST_TEST(ctx.at("code") == watched.at("code"));
  BOOST_TEST(without_addresses(ctx.at("message")) == without_addresses(watched.at("message")));
  BOOST_TEST(ctx.at("fault").is_null() == watched.at("fault").is_null());
  if (!ctx.at("fault").is_null()) BOOST_TEST(ctx.at("fault").at("class") == watched.at("fault").at("class"));
  BOOST_TEST(ctx.at("threads").size() == watched.at("threads").size());
  BOOST_TEST(ctx.at("thread_name") == watched.at("thread_name"));
  BOOST_TEST(ctx.at("exception").is_null() == watched.at("exception").is_null());
  if (ctx.at("exception").is_object() && watched.at("exception").is_object()) {
    BOOST_TEST(ctx.at("exception").at("type") == watched.at("exception").at("type"));
    BOOST_TEST(ctx.at("exception").at("what") == watched.at("exception").at("what"));
  }
  // The same keys, the same frames at the top of the crashing thread.
  for (const auto& [key, value] : watched.items()) BOOST_TEST(ctx.contains(key), "core context lacks " << key);
  auto core_names = top_names(ctx), watch_names = top_names(watched);
  const size_t n = std::min<size_t>(8, std::min(core_names.size(), watch_names.size()));
  BOOST_TEST(n >= 1u);
  BOOST_TEST(std::vector<std::string>(core_names.begin(), core_names.begin() + n) ==
                 std::vector<std::string>(watch_names.begin(), watch_names.begin() + n),
             "core " << json(core_names).dump() << " vs watch " << json(watch_names).dump());
  // And so the same error group, whichever mode caught it.
  const auto core_signature = coordinator_signature(ctx), watch_signature = coordinator_signature(watched);
  BOOST_TEST(core_signature.hash == watch_signature.hash,
             "core " << json(core_signature.frames).dump() << " vs watch " << json(watch_signature.frames).dump());
  BOOST_TEST(!core_signature.frames.empty());
  BOOST_TEST(ctx.at("variables").is_null() == watched.at("variables").is_null());
  if (ctx.at("variables").is_object() && watched.at("variables").is_object()) {
    BOOST_TEST(ctx.at("variables").at("function") == watched.at("variables").at("function"));
    std::vector<std::string> a, b;
    for (const auto& v : ctx.at("variables").at("items")) a.push_back(v.at("name"));
    for (const auto& v : watched.at("variables").at("items")) b.push_back(v.at("name"));
    BOOST_TEST(a == b);
  }
  return ctx;
}

const json* variable(const json& ctx, const std::string& name) {
  if (ctx.at("variables").is_null()) return nullptr;
  for (const auto& v : ctx.at("variables").at("items")) {
    if (v.at("name") == name) return &v;
  }
  return nullptr;
}

// The test's own soft RLIMIT_CORE (inherited by the crashers it starts: the kernel passes the
// crasher's as %c) for the scope, then the old one back.
class CoreLimit {
 public:
  explicit CoreLimit(rlim_t soft) {
    BOOST_REQUIRE(::getrlimit(RLIMIT_CORE, &old_) == 0);
    rlimit now = old_;
    now.rlim_cur = soft;
    if (now.rlim_max != RLIM_INFINITY && soft > now.rlim_max) now.rlim_max = soft;
    BOOST_REQUIRE(::setrlimit(RLIMIT_CORE, &now) == 0);
  }
  ~CoreLimit() { ::setrlimit(RLIMIT_CORE, &old_); }

 private:
  rlimit old_{};
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(core_mode, InstalledHandler)

// Chaining through the installed handler, as the kernel runs it: a previous file pattern gets
// the core file the kernel would have written, whole, and the report says so.
BOOST_AUTO_TEST_CASE(a_previous_file_pattern_still_gets_its_core_file) {
  const std::string chained = dir() + "/chained";
  fs::create_directory(chained);
  write_config(json::parse(R"({"watches":[{"id":"w-all","all":true}]})"), chained + "/core.%e.%p");
  Crash c;
  {
    CoreLimit unlimited(RLIM_INFINITY);
    c = crash("crasher_O0", {"null"}, 3);
  }
  json r = report_of(c.pid);
  BOOST_REQUIRE(!r.is_null());
  BOOST_TEST(r.at("handler").at("chain") == "file");
  BOOST_TEST(r.at("handler").at("chain_result") == "ok");
  const fs::path core_file = chained + "/core.crasher_O0." + std::to_string(c.pid);
  BOOST_REQUIRE_MESSAGE(fs::exists(core_file), "no " << core_file);
  BOOST_TEST(fs::file_size(core_file) == r.at("handler").at("core_bytes").get<uint64_t>());
  std::string head = read_text(core_file).substr(0, 18);
  BOOST_REQUIRE(head.size() == 18u);
  BOOST_TEST(head.substr(0, 4) == "\x7f" "ELF");
  BOOST_TEST(static_cast<unsigned char>(head[16]) == 4u);  // e_type ET_CORE (little-endian)
  struct stat st{};
  BOOST_REQUIRE(::stat(core_file.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  // RLIMIT_CORE 0, as in most shells: the kernel would write no file, and neither do we.
  Crash d;
  {
    CoreLimit none(0);
    d = crash("crasher_O0", {"null"}, 3);
  }
  json q = report_of(d.pid);
  BOOST_REQUIRE(!q.is_null());
  BOOST_TEST(q.at("handler").at("chain") == "file");
  BOOST_TEST(q.at("handler").at("chain_result").get<std::string>().rfind("skipped", 0) == 0u);
  BOOST_TEST(!fs::exists(chained + "/core.crasher_O0." + std::to_string(d.pid)));
}

// A previous pipe handler (systemd-coredump, apport) is run with its own specifiers expanded and
// the whole core on its stdin, after our analysis.
BOOST_AUTO_TEST_CASE(a_previous_pipe_handler_gets_the_core_and_its_own_specifiers) {
  const std::string script = dir() + "/previous-handler.sh";
  {
    // The kernel's helper environment is empty (no PATH): absolute paths only.
    std::ofstream out(script);
    out << "#!/bin/sh\necho \"$@\" > " << dir() << "/previous.args\n/usr/bin/wc -c > " << dir()
        << "/previous.bytes\n";
  }
  fs::permissions(script, fs::perms::owner_all);
  write_config(json::parse(R"({"watches":[{"id":"w-all","all":true}]})"), "|" + script + " %P %s %e");
  Crash c = crash("crasher_O0", {"abort"}, 3);
  json r = report_of(c.pid);
  BOOST_REQUIRE(!r.is_null());
  BOOST_TEST(r.at("handler").at("chain") == "pipe");
  BOOST_TEST(r.at("handler").at("chain_result") == "ok");
  BOOST_TEST(r.at("context").at("type") == "SIGABRT/SI_TKILL");
  std::string args = read_text(dir() + "/previous.args");
  BOOST_TEST(args == std::to_string(c.pid) + " 6 crasher_O0\n");
  std::string bytes = read_text(dir() + "/previous.bytes");
  BOOST_TEST(std::stoull(bytes) == r.at("handler").at("core_bytes").get<uint64_t>());
}

BOOST_AUTO_TEST_CASE(null_dereference_matches_the_watch) {
  json c = core_and_watch_agree(*this, {"crasher_O0", {"null"}, 3});
  BOOST_TEST(c.at("type") == "SIGSEGV/SEGV_MAPERR");
  BOOST_TEST(c.at("fault").at("class") == "null_page");
  BOOST_TEST(c.at("fault").at("address") == "0x8");
  auto names = top_names(c);
  BOOST_REQUIRE(names.size() >= 2u);
  BOOST_TEST(names[0] == "store_through");
  BOOST_TEST(names[1] == "main");
  BOOST_TEST(c.at("tid") == c.at("pid"));
  auto* target = variable(c, "target");
  auto* attempts = variable(c, "attempts");
  BOOST_REQUIRE(target && attempts);
  BOOST_TEST(target->at("value") == "0x0");
  BOOST_TEST(attempts->at("value") == "3");
  // The other threads, each with its own stack.
  for (size_t i = 1; i < c.at("threads").size(); ++i) {
    const auto& t = c.at("threads")[i];
    BOOST_TEST(!t.value("crashing", false));
    BOOST_TEST(find_frame(real_function_names(t), "idle_thread_main") >= 0);
  }
}

BOOST_AUTO_TEST_CASE(null_dereference_in_an_optimised_build_matches_the_watch) {
  json c = core_and_watch_agree(*this, {"crasher_O2", {"null"}, 3});
  BOOST_TEST(top_names(c).at(0) == "store_through");
}

BOOST_AUTO_TEST_CASE(wild_pointer_matches_the_watch) {
  json c = core_and_watch_agree(*this, {"crasher_O0", {"wild"}, 3});
  BOOST_TEST(c.at("fault").at("address") == "0xdead0008");
  BOOST_TEST(c.at("fault").at("class") == "unmapped");
}

BOOST_AUTO_TEST_CASE(stack_overflow_matches_the_watch) {
  json c = core_and_watch_agree(*this, {"crasher_O0", {"overflow"}, 3});
  BOOST_TEST(c.at("fault").at("class") == "stack_guard");
  const auto& t = crashing_thread(c);
  BOOST_TEST(t.at("frames").size() == 20u);
  BOOST_TEST(t.at("truncated") == "max_depth");
  for (const auto& name : real_function_names(t)) BOOST_TEST(name == "recurse");
}

BOOST_AUTO_TEST_CASE(division_by_zero_matches_the_watch) {
  json c = core_and_watch_agree(*this, {"crasher_O0", {"divzero"}, 3});
  BOOST_TEST(c.at("type") == "SIGFPE/FPE_INTDIV");
  BOOST_TEST(c.at("fault").at("class") == "text");
  BOOST_TEST(top_names(c).at(0) == "divide");
  auto* divisor = variable(c, "divisor");
  BOOST_REQUIRE(divisor);
  BOOST_TEST(divisor->at("value") == "0");
}

BOOST_AUTO_TEST_CASE(failed_assert_matches_the_watch) {
  json c = core_and_watch_agree(*this, {"crasher_O0", {"assert"}, 3});
  BOOST_TEST(c.at("type") == "SIGABRT/SI_TKILL");
  BOOST_TEST(contains(c.at("message"), "Assertion `value == expected' failed."));
  BOOST_TEST(c.at("variables").at("function") == "check_invariant");
  auto names = top_names(c);
  BOOST_TEST(find_frame(names, "check_invariant") > find_frame(names, "__assert_fail"));
}

BOOST_AUTO_TEST_CASE(plain_abort_matches_the_watch) {
  json c = core_and_watch_agree(*this, {"crasher_O0", {"abort"}, 3});
  BOOST_TEST(c.at("message") == "abort() called");
  BOOST_TEST(c.at("abort_message").is_null());
  auto names = top_names(c);
  BOOST_TEST(find_frame(names, "main") > find_frame(names, "abort"));
}

BOOST_AUTO_TEST_CASE(double_free_matches_the_watch) {
  json c = core_and_watch_agree(*this, {"crasher_O0", {"double_free"}, 3});
  BOOST_TEST(contains(c.at("message"), "double free detected"));
  BOOST_TEST(find_frame(top_names(c), "release_twice") >= 0);
}

BOOST_AUTO_TEST_CASE(uncaught_cxx_exception_matches_the_watch) {
  json c = core_and_watch_agree(*this, {"cxx_crasher", {}, 1});
  BOOST_REQUIRE(c.at("exception").is_object());
  BOOST_TEST(c.at("exception").at("type") == "std::runtime_error");
  BOOST_TEST(c.at("exception").at("what") == "watch test: ledger out of balance");
  BOOST_TEST(contains(c.at("message"), "ledger out of balance"));
  BOOST_TEST(find_frame(top_names(c), "ledger::reconcile") >= 0);
}

BOOST_AUTO_TEST_CASE(crash_in_a_second_thread_matches_the_watch) {
  json c = core_and_watch_agree(*this, {"crasher_O0", {"thread"}, 4, 3});
  BOOST_TEST(c.at("thread_name") == "crash_thread");
  BOOST_TEST(c.at("tid") != c.at("pid"));
  auto names = top_names(c);
  BOOST_TEST(names.at(0) == "store_through");
  BOOST_TEST(names.at(1) == "crash_thread_main");
}

BOOST_AUTO_TEST_CASE(a_crash_in_a_pid_namespace_names_its_threads_by_their_global_ids) {
  // crasher is pid 2 of a new pid namespace: the core's notes give namespace ids (1, 2, ...), the
  // report must give the ids of the initial namespace, as the watch does, with their names.
  ChildProcess child({"/usr/bin/unshare", "--pid", "--fork", "--mount-proc", "/bin/sh", "-c",
                      target_path("crasher_O0") + " thread; true"});
  BOOST_REQUIRE(child.wait_for_line("ready", std::chrono::seconds(10)));
  const pid_t pid = descendant_named(child.pid(), "crasher_O0");
  wait_until_settled(pid, 3);
  const auto before = thread_ids(pid);
  BOOST_REQUIRE(child.write_stdin("go\n"));
  BOOST_REQUIRE(child.wait(std::chrono::seconds(60)));
  json r = report_of(pid);
  BOOST_REQUIRE(!r.is_null());
  BOOST_TEST(r.at("handler").at("analysis") == "full");
  const auto& ctx = r.at("context");
  BOOST_TEST(ctx.at("thread_name") == "crash_thread");
  BOOST_TEST(top_names(ctx).at(0) == "store_through");
  BOOST_REQUIRE(ctx.at("threads").size() == 4u);
  const std::set<pid_t> known(before.begin(), before.end());
  BOOST_TEST(known.count(ctx.at("tid").get<pid_t>()) == 0u);  // made after "go"
  BOOST_TEST(ctx.at("tid").get<pid_t>() > pid);
  for (size_t i = 1; i < ctx.at("threads").size(); ++i) {
    const auto& t = ctx.at("threads")[i];
    BOOST_TEST(known.count(t.at("tid").get<pid_t>()) == 1u, "thread " << t.at("tid") << " is not a global id of " << pid);
    BOOST_TEST(t.at("name") == "crasher_O0");
    BOOST_TEST(!t.at("frames").empty());
  }
}

BOOST_AUTO_TEST_CASE(the_watch_options_bound_the_context) {
  write_config(json::parse(R"({"watches":[{"id":"w-all","all":true,
      "options":{"max_depth":2,"max_variables":1,"max_threads":2}}]})"));
  Crash c = crash("crasher_O0", {"thread"}, 3);
  json r = report_of(c.pid);
  BOOST_REQUIRE(!r.is_null());
  const auto& ctx = r.at("context");
  BOOST_TEST(ctx.at("threads").size() == 2u);
  BOOST_TEST(ctx.at("omitted_threads") == 2);
  BOOST_TEST(ctx.at("thread_name") == "crash_thread");  // the crashing thread is always kept
  for (const auto& t : ctx.at("threads")) BOOST_TEST(t.at("frames").size() <= 2u);
  BOOST_TEST(ctx.at("variables").at("items").size() == 1u);
  BOOST_TEST(ctx.at("variables").at("truncated") == true);
}

BOOST_AUTO_TEST_CASE(an_unselected_process_gives_no_report) {
  write_config(json::parse(R"({"watches":[{"id":"w-other","match":"^no-such-process$","all":false}]})"));
  Crash c = crash("crasher_O0", {"null"}, 3);
  BOOST_TEST(WCOREDUMP(c.status));  // the handler ran and drained the core all the same
  BOOST_REQUIRE(wait_for_handlers());
  BOOST_TEST(reports().empty());
  BOOST_TEST(counters().is_null());
  BOOST_TEST(tmp_files() == 0u);
  // The regex is searched in the command line too: now it selects.
  write_config(json::parse(R"({"watches":[{"id":"w-cmd","match":"O0 nu","all":false}]})"));
  Crash d = crash("crasher_O0", {"null"}, 3);
  json r = report_of(d.pid);
  BOOST_REQUIRE(!r.is_null());
  BOOST_TEST(r.at("watch_id") == "w-cmd");
}

BOOST_AUTO_TEST_CASE(without_handler_json_the_core_is_drained_and_nothing_reported) {
  fs::remove(dir() + "/handler.json");
  Crash c = crash("crasher_O0", {"abort"}, 3);
  BOOST_TEST(WIFSIGNALED(c.status));
  BOOST_TEST(WCOREDUMP(c.status));
  BOOST_REQUIRE(wait_for_handlers());
  BOOST_TEST(reports().empty());
}

BOOST_AUTO_TEST_CASE(a_time_limit_of_1_ms_gives_a_minimal_timed_out_report) {
  write_config(json::parse(R"({"watches":[{"id":"w-all","all":true}],"limits":{"time_limit_ms":1}})"));
  Crash c = crash("crasher_O0", {"null"}, 3);
  json r = report_of(c.pid);
  BOOST_REQUIRE(!r.is_null());
  check_envelope(r, c.pid, "crasher_O0");
  BOOST_TEST(r.at("handler").at("analysis") == "minimal");
  BOOST_TEST(r.at("handler").at("reason") == "timed_out");
  const auto& ctx = r.at("context");
  BOOST_TEST(ctx.at("type") == "SIGSEGV/SEGV_MAPERR");
  BOOST_TEST(ctx.at("signal") == SIGSEGV);
  BOOST_TEST(ctx.at("code") == 1);
  BOOST_TEST(ctx.at("message") == "Segmentation fault (SEGV_MAPERR) at 0x8 [null_page]");
  BOOST_TEST(ctx.at("tid") == c.pid);
  BOOST_TEST(ctx.at("comm") == "crasher_O0");
  BOOST_TEST(ctx.at("thread_name") == "crasher_O0");
  BOOST_TEST(ctx.at("timestamp_ms").get<int64_t>() > 0);
  BOOST_TEST(ctx.at("threads").empty());
  BOOST_TEST(ctx.at("omitted_threads") == 3);
  BOOST_TEST(ctx.at("fault").at("class") == "null_page");
}

BOOST_AUTO_TEST_CASE(an_analysis_over_its_memory_bound_fails_into_a_minimal_report) {
  // 4 MiB of address space: less than the handler already maps (~8 MiB), so every new mapping
  // of the child fails (RLIMIT_AS is applied to it, not to the handler, which goes on).
  write_config(json::parse(R"({"watches":[{"id":"w-all","all":true}],"limits":{"analysis_max_memory_bytes":4194304}})"));
  Crash c = crash("crasher_O0", {"divzero"}, 3);
  json r = report_of(c.pid);
  BOOST_REQUIRE(!r.is_null());
  check_envelope(r, c.pid, "crasher_O0");
  BOOST_TEST(r.at("handler").at("analysis") == "minimal");
  BOOST_TEST(r.at("handler").at("reason") == "analysis_failed");
  BOOST_TEST(r.at("context").at("type") == "SIGFPE/FPE_INTDIV");
  BOOST_TEST(r.at("context").at("fault").at("class") == "text");
}

BOOST_AUTO_TEST_CASE(no_free_analysis_slot_gives_a_minimal_busy_report) {
  // Both slots of max_concurrent 2 held, as two running analyses would hold them.
  fs::create_directories(dir() + "/slots");
  std::vector<dbg::UniqueFd> held;
  for (int n = 0; n < 2; ++n) {
    dbg::UniqueFd fd(::open((dir() + "/slots/" + std::to_string(n)).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    BOOST_REQUIRE(fd.valid() && ::flock(fd.get(), LOCK_EX | LOCK_NB) == 0);
    held.push_back(std::move(fd));
  }
  Crash c = crash("crasher_O0", {"assert"}, 3);
  json r = report_of(c.pid);
  BOOST_REQUIRE(!r.is_null());
  BOOST_TEST(r.at("handler").at("analysis") == "minimal");
  BOOST_TEST(r.at("handler").at("reason") == "busy");
  BOOST_TEST(r.at("context").at("type") == "SIGABRT/SI_TKILL");
  BOOST_TEST(r.at("context").at("fault").is_null());
  // One slot free again: a full analysis.
  held.pop_back();
  Crash d = crash("crasher_O0", {"assert"}, 3);
  json full = report_of(d.pid);
  BOOST_REQUIRE(!full.is_null());
  BOOST_TEST(full.at("handler").at("analysis") == "full");
}

BOOST_AUTO_TEST_CASE(a_1_gib_process_costs_the_handler_little_memory) {
  Crash c = crash("core_hog", {"1024"}, 1);
  BOOST_TEST(WCOREDUMP(c.status));
  json r = report_of(c.pid);
  BOOST_REQUIRE(!r.is_null());
  const auto& h = r.at("handler");
  BOOST_TEST_MESSAGE("1 GiB core: handler " << h.dump());
  BOOST_TEST(h.at("analysis") == "full");
  BOOST_TEST(h.at("core_bytes").get<uint64_t>() > (uint64_t{1} << 30));  // the whole core went through
  BOOST_TEST(h.at("peak_rss_kb").get<int64_t>() < 200 * 1024);  // a bound, not a timing
  BOOST_TEST(top_names(r.at("context")).at(0) == "crash_after_touching");
}

BOOST_AUTO_TEST_CASE(over_spool_max_files_crashes_are_counted_instead) {
  write_config(json::parse(R"({"watches":[{"id":"w-all","all":true}],"limits":{"spool_max_files":3}})"));
  std::vector<pid_t> pids;
  for (int i = 0; i < 5; ++i) {
    pids.push_back(crash("crasher_O0", {"abort"}, 3).pid);
    BOOST_REQUIRE(wait_for_handlers());  // one at a time: which three get a report is then known
  }
  auto rs = reports();
  BOOST_REQUIRE(rs.size() == 3u);
  std::set<pid_t> reported;
  for (const auto& r : rs) reported.insert(r.at("pid").get<pid_t>());
  BOOST_TEST(reported == std::set<pid_t>(pids.begin(), pids.begin() + 3));
  json counters = this->counters();
  BOOST_REQUIRE(!counters.is_null());
  BOOST_TEST(counters.at("v") == 1);
  BOOST_REQUIRE(counters.at("dropped").size() == 1u);
  const auto& e = counters.at("dropped")[0];
  BOOST_TEST(e.at("exe") == target_path("crasher_O0"));
  BOOST_TEST(e.at("comm") == "crasher_O0");
  BOOST_TEST(e.at("signal") == SIGABRT);
  BOOST_TEST(e.at("count") == 2);
  BOOST_TEST(e.at("first_ms").get<int64_t>() <= e.at("last_ms").get<int64_t>());
  BOOST_TEST(tmp_files() == 0u);
}

BOOST_AUTO_TEST_CASE(a_storm_of_200_crashes_is_counted_in_full_and_nothing_hangs) {
  // A bound on the spool too (150 files), so that both ways of being counted are in play.
  write_config(json::parse(R"({"watches":[{"id":"w-all","all":true}],"limits":{"spool_max_files":150}})"));
  constexpr int kCrashes = 200;
  const auto start = Clock::now();
  std::vector<ChildProcess> children;
  std::set<pid_t> pids;
  children.reserve(kCrashes);
  for (int i = 0; i < kCrashes; ++i) {
    // Told to crash as soon as it has started: "go" waits in its stdin. One every 10 ms: 2 s,
    // unless starting them is slower than that on this machine (the message says).
    std::this_thread::sleep_until(start + std::chrono::milliseconds(10 * i));
    children.emplace_back(std::vector<std::string>{target_path("crasher_O0"), "null"});
    BOOST_REQUIRE(children.back().write_stdin("go\n"));
    pids.insert(children.back().pid());
  }
  const double spawn_s = std::chrono::duration<double>(Clock::now() - start).count();
  int dumped = 0;
  for (auto& child : children) {
    auto status = child.wait(std::chrono::seconds(60));
    BOOST_REQUIRE_MESSAGE(status, "crasher " << child.pid() << " hangs");
    BOOST_TEST(WIFSIGNALED(*status));
    dumped += WCOREDUMP(*status) ? 1 : 0;
  }
  BOOST_REQUIRE_MESSAGE(wait_for_handlers(), "handlers still running a minute after the storm");
  const double total_s = std::chrono::duration<double>(Clock::now() - start).count();

  std::map<std::string, int> analyses;
  std::set<pid_t> reported;
  int64_t max_elapsed = 0;
  for (const auto& r : reports()) {
    BOOST_TEST(pids.count(r.at("pid").get<pid_t>()) == 1u);
    reported.insert(r.at("pid").get<pid_t>());
    const auto& h = r.at("handler");
    ++analyses[h.at("analysis").get<std::string>() + (h.contains("reason") ? "/" + h.at("reason").get<std::string>() : "")];
    max_elapsed = std::max(max_elapsed, h.at("elapsed_ms").get<int64_t>());
    BOOST_TEST(r.at("context").at("type") == "SIGSEGV/SEGV_MAPERR");
  }
  uint64_t counted = 0;
  if (json c = counters(); !c.is_null()) {
    for (const auto& e : c.at("dropped")) counted += e.at("count").get<uint64_t>();
  }
  BOOST_TEST_MESSAGE("storm: " << kCrashes << " crashes spawned in " << spawn_s << " s, all handled after " << total_s
                               << " s; cores dumped " << dumped << "; reports " << reported.size() << " "
                               << json(analyses).dump() << ", counted " << counted << ", max elapsed_ms " << max_elapsed);
  BOOST_TEST(dumped == kCrashes);
  BOOST_TEST(reported.size() == 150u);  // the spool's bound, no more
  BOOST_TEST(reported.size() + counted == static_cast<size_t>(kCrashes));
  BOOST_TEST(tmp_files() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

// Outside the fixture: no core_pattern involved, the handler run by hand.
BOOST_AUTO_TEST_CASE(arguments_that_are_not_the_kernels_are_refused_with_a_clear_message) {
  auto few = run_command({bin_path("dbg-worker"), "core", "/tmp", "1", "2"});
  BOOST_TEST(few.exit_code == 2);
  BOOST_TEST(contains(few.err, "13 kernel values"), few.err);
  const std::vector<std::string> values{"100", "100", "100", "11", "0", "1", "1700000000", "0", "0", "100", "host", "comm", "!bin!comm"};
  std::vector<std::string> relative{bin_path("dbg-worker"), "core", "crash"};
  relative.insert(relative.end(), values.begin(), values.end());
  auto r = run_command(relative);
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(contains(r.err, "must be absolute"), r.err);
  std::vector<std::string> bad_signal{bin_path("dbg-worker"), "core", "/tmp/no-such-crash-dir"};
  bad_signal.insert(bad_signal.end(), values.begin(), values.end());
  bad_signal[3 + 3] = "99";
  auto s = run_command(bad_signal);
  BOOST_TEST(s.exit_code == 2);
  BOOST_TEST(contains(s.err, "not a number in range"), s.err);
}
