// The process table (coordinator/ranking/process_table.hpp) through a real dbgcoord on a real
// socket, with real processes this test starts:
//  - a started and an exited process are learned without a scan, from the kernel's process
//    events (the scans are set an hour apart, and the table's scan count stays at the first);
//  - with the events off (--proc-events off, the fallback), the periodic scans learn them;
//  - GET /api/v1/processes pages list every process exactly once while others start and exit,
//    in every sort (score, cpu and rss move between the pages: the listing keeps its version);
//    bad cursors and sorts are 400 problem+json;
//  - a session target whose pid was reused (another process got it before its batch) is refused
//    with "pid_reused" and the new process is not captured.
#define BOOST_TEST_MODULE coordinator_process_table
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "coordinator_test_client.hpp"
#include "test_support.hpp"

using namespace dbg::coord::test;
using dbg::test::ChildProcess;
using nlohmann::json;

namespace {

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

struct Server {
  TempDir data;
  Coordinator c;
  std::string token;
  explicit Server(std::vector<std::string> extra, std::vector<std::string> env = {})
      : c(start(data.path(), std::move(extra), std::move(env))), token(read_text(data.path() / "token")) {}
  static Coordinator start(const std::filesystem::path& dir, std::vector<std::string> extra, std::vector<std::string> env) {
    std::vector<std::string> args{"--listen", "127.0.0.1:0", "--data-dir", dir.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return start_coordinator(args, env);
  }
  HttpReply request(const std::string& method, const std::string& target, const std::string& body = {}) {
    return authorized_request(c.port, token, method, target, body);
  }
  json get_json(const std::string& target) {
    auto r = request("GET", target);
    BOOST_REQUIRE_MESSAGE(r.status == 200, target << " -> " << r.status << " " << r.body);
    return json::parse(r.body);
  }
  // The pids GET /api/v1/processes?match=… lists now.
  std::set<int> listed(const std::string& match) {
    std::set<int> out;
    const json page = get_json("/api/v1/processes?limit=1000&match=" + match);
    for (const auto& p : page.at("processes")) out.insert(p.at("pid").get<int>());
    return out;
  }
  // Polls until `pid` is (or is not) listed; the bound only ends a failing test.
  bool wait_listed(const std::string& match, int pid, bool present) {
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (listed(match).count(pid) == (present ? 1u : 0u)) return true;
      std::this_thread::sleep_for(20ms);
    }
    BOOST_TEST_MESSAGE("pid " << pid << " still " << (present ? "missing" : "listed") << ": "
                              << request("GET", "/api/v1/processes?limit=1000&match=" + match).body.substr(0, 2000));
    return false;
  }
  json wait_session(const std::string& id) {
    auto deadline = std::chrono::steady_clock::now() + 120s;
    for (;;) {
      auto s = get_json("/api/v1/sessions/" + id);
      std::string status = s.at("status");
      if (status == "done" || status == "cancelled" || status == "failed") return s;
      BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "session " << id << " still " << status);
      std::this_thread::sleep_for(20ms);
    }
  }
};

// Sleepers under a name unique to this run (a symlink to sleep(1): comm is the link's name).
struct NamedSleepers {
  TempDir dir;
  std::string name;
  std::filesystem::path link;
  explicit NamedSleepers(const std::string& prefix) : name(prefix + std::to_string(::getpid() % 100000)) {
    link = dir.path() / name;
    std::filesystem::create_symlink("/bin/sleep", link);
  }
  ChildProcess start() const { return ChildProcess({link.string(), "600"}); }
};

}  // namespace

BOOST_AUTO_TEST_CASE(the_proc_connector_tells_the_table_of_a_started_and_an_exited_process) {
  BOOST_REQUIRE_MESSAGE(::geteuid() == 0, "the proc connector needs CAP_NET_ADMIN: run as root");
  NamedSleepers sleepers("ptev");
  // Scans an hour apart: after the first one, only the events can tell the table anything.
  Server server({"--process-refresh-ms", "3600000"});
  auto first = server.get_json("/api/v1/processes?limit=1");
  BOOST_REQUIRE_EQUAL(first.at("table").at("events"), "proc_connector");
  const auto scans = first.at("table").at("scans").get<int>();
  BOOST_TEST(scans == 1);

  auto child = sleepers.start();
  BOOST_TEST(server.wait_listed(sleepers.name, child.pid(), true));
  child.signal(SIGKILL);
  BOOST_REQUIRE(child.wait(10s));
  BOOST_TEST(server.wait_listed(sleepers.name, child.pid(), false));

  auto after = server.get_json("/api/v1/processes?limit=1");
  BOOST_TEST(after.at("table").at("scans").get<int>() == scans);  // no scan learned them
  BOOST_TEST(after.at("table").at("events_applied").get<int>() > 0);
}

BOOST_AUTO_TEST_CASE(without_events_the_periodic_scans_learn_a_started_and_an_exited_process) {
  NamedSleepers sleepers("ptscan");
  Server server({"--proc-events", "off", "--process-refresh-ms", "200"});
  auto first = server.get_json("/api/v1/processes?limit=1");
  BOOST_REQUIRE_EQUAL(first.at("table").at("events"), "off");
  const auto scans = first.at("table").at("scans").get<int>();

  auto child = sleepers.start();
  BOOST_TEST(server.wait_listed(sleepers.name, child.pid(), true));
  child.signal(SIGKILL);
  BOOST_REQUIRE(child.wait(10s));
  BOOST_TEST(server.wait_listed(sleepers.name, child.pid(), false));
  auto after = server.get_json("/api/v1/processes?limit=1");
  BOOST_TEST(after.at("table").at("scans").get<int>() > scans);
  BOOST_TEST(after.at("table").at("events_applied").get<int>() == 0);
}

// Pages through every process (sort, order) while another thread starts and kills processes.
// Every process that lived through the whole paging must be listed exactly once, and no pid
// twice at all.
BOOST_AUTO_TEST_CASE(pages_list_every_process_exactly_once_while_processes_start_and_exit) {
  NamedSleepers steady("ptpage");
  NamedSleepers churn("ptchurn");
  std::vector<ChildProcess> kept;
  for (int i = 0; i < 40; ++i) kept.push_back(steady.start());
  Server server({"--process-refresh-ms", "200"});  // scans (and rank moves) during the paging too

  std::atomic<bool> running{true};
  std::thread churner([&] {
    std::deque<ChildProcess> alive;
    while (running) {
      alive.push_back(churn.start());
      if (alive.size() > 10) alive.pop_front();  // killed and reaped
      std::this_thread::sleep_for(5ms);
    }
  });

  // score, cpu and rss move at every scan (200 ms here) and the churn's processes burn CPU: the
  // pages of one listing are cut from the table version of its first page, so they hold too.
  for (const auto& [sort, order] : std::vector<std::pair<std::string, std::string>>{
           {"pid", "asc"}, {"pid", "desc"}, {"comm", "asc"}, {"score", "desc"}, {"cpu", "desc"}, {"rss", "asc"}}) {
    std::map<int, int> seen;  // pid -> times listed
    std::string cursor;
    int pages = 0;
    for (;;) {
      std::string target = "/api/v1/processes?limit=7&sort=" + sort + "&order=" + order + (cursor.empty() ? "" : "&cursor=" + cursor);
      auto page = server.get_json(target);
      BOOST_REQUIRE(page.at("processes").size() <= 7u);
      BOOST_TEST(page.at("sort") == sort);
      BOOST_TEST(page.at("cursor_snapshot") == (cursor.empty() ? "latest" : "kept"));
      for (const auto& p : page.at("processes")) ++seen[p.at("pid").get<int>()];
      ++pages;
      if (page.at("next_cursor").is_null()) break;
      cursor = page.at("next_cursor").get<std::string>();
      BOOST_REQUIRE(pages < 100000);
    }
    BOOST_TEST_INFO(sort << " " << order << " over " << pages << " pages");
    BOOST_TEST(pages > 6);  // 40 sleepers alone are 6 pages
    for (const auto& [pid, times] : seen) BOOST_TEST(times == 1, "pid " << pid << " listed " << times << " times");
    for (const auto& child : kept) BOOST_TEST(seen.count(child.pid()) == 1u, "sleeper " << child.pid() << " missing");
  }
  running = false;
  churner.join();

  // Bad input: problem+json 400, nothing listed.
  auto valid = server.get_json("/api/v1/processes?limit=1&sort=pid").at("next_cursor").get<std::string>();
  for (const std::string& target : std::vector<std::string>{"/api/v1/processes?sort=name", "/api/v1/processes?order=up", "/api/v1/processes?cursor=%21%21",
                                   "/api/v1/processes?cursor=", "/api/v1/processes?cursor=MnxwaWR8YXNjfDF8MQ",
                                   "/api/v1/processes?cursor=" + valid + "&sort=score",
                                   "/api/v1/processes?cursor=" + valid + "&order=desc"}) {
    auto r = server.request("GET", target);
    BOOST_TEST_INFO(target << " -> " << r.body);
    BOOST_TEST(r.status == 400);
    BOOST_TEST(r.header("content-type") == "application/problem+json");
  }
  // The cursor alone continues its listing.
  auto next = server.get_json("/api/v1/processes?limit=1&cursor=" + valid);
  BOOST_TEST(next.at("sort") == "pid");
}

// Pid reuse: target B is resolved, then its process exits and another one gets its pid (set
// through /proc/sys/kernel/ns_last_pid) before B's batch goes out; B must be refused, not the
// new process captured. Batch 0 (a bigger process, ranked first) is held by the workers' test
// hook for 0.4 s per thread (3.2 s for its 8): the time to replace B.
BOOST_AUTO_TEST_CASE(a_target_whose_pid_was_reused_before_its_batch_is_refused) {
  BOOST_REQUIRE_MESSAGE(::geteuid() == 0, "setting ns_last_pid needs root");
  NamedSleepers sleepers("ptreuse");
  TempDir links;
  auto chain_link = links.path() / ("ptfirst" + std::to_string(::getpid() % 100000));
  std::filesystem::create_symlink(dbg::test::target_path("chain"), chain_link);
  ChildProcess first({chain_link.string(), "8"});
  BOOST_REQUIRE(first.wait_for_line("ready", 10s));
  std::optional<ChildProcess> second(sleepers.start());
  const pid_t reused = second->pid();

  Server server({"--batch-size", "1", "--workers", "1"}, {"DBG_WORKER_TEST_HOLD_MS=400"});
  auto created = server.request("POST", "/api/v1/sessions",
                                R"({"targets":{"pids":[)" + std::to_string(first.pid()) + "," + std::to_string(reused) +
                                    R"(]},"options":{"source":"none","deadline_ms":60000}})");
  BOOST_REQUIRE_MESSAGE(created.status == 202, created.body);
  auto session = json::parse(created.body);
  BOOST_REQUIRE_EQUAL(session.at("batches").size(), 2u);
  BOOST_REQUIRE_EQUAL(session.at("batches")[1].at("targets")[0].at("pid").get<int>(), reused);

  // While batch 0 is held: B exits, and a new process is given B's pid.
  second.reset();  // SIGKILL and reaped
  std::optional<ChildProcess> impostor;
  for (int attempt = 0; attempt < 200 && !impostor; ++attempt) {
    { std::ofstream("/proc/sys/kernel/ns_last_pid") << (reused - 1); }
    ChildProcess candidate({sleepers.link.string(), "600"});
    if (candidate.pid() == reused) impostor.emplace(std::move(candidate));  // else another fork won the pid
  }
  BOOST_REQUIRE_MESSAGE(impostor, "could not get pid " << reused << " again");

  auto done = server.wait_session(session.at("id"));
  const auto& target = done.at("batches")[1].at("targets")[0];
  BOOST_TEST(target.at("status") == "failed");
  BOOST_TEST(target.at("error").at("code") == "pid_reused");
  BOOST_TEST(target.at("snapshot_id").is_null());
  // Batch 0 was held long enough for the swap, or this test proves nothing.
  BOOST_TEST(done.at("batches")[0].at("targets")[0].at("status") == "done");
}
