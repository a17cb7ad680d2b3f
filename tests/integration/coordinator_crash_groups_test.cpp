// Crashes seen by the watch become error groups: the real dbgcoord, its real watcher and real
// crashers (tests/targets/crasher.c). One crash site run 50 times is one group of 50; two sites
// are two groups; the same bug at different recursion depths is one group. The parent of every
// crasher (this test) sees it die of its own signal, watched or not.
#define BOOST_TEST_MODULE coordinator_crash_groups
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <set>
#include <nlohmann/json.hpp>
#include <thread>

#include "coordinator_test_client.hpp"
#include "test_support.hpp"

using namespace dbg::coord::test;
using dbg::test::ChildProcess;
using nlohmann::json;

namespace {

std::string read_token(const std::filesystem::path& data_dir) {
  std::ifstream in(data_dir / "token");
  std::string token;
  in >> token;
  return token;
}

struct Server {
  TempDir data;
  Coordinator c{start_coordinator({"--listen", "127.0.0.1:0", "--data-dir", data.path().string()})};
  std::string token = read_token(data.path());

  HttpReply request(const std::string& method, const std::string& target, const std::string& body = {}) {
    HttpConnection conn(c.port);
    std::vector<std::string> headers{"Connection: close", "Authorization: Bearer " + token};
    if (!body.empty()) headers.push_back("Content-Type: application/json");
    conn.send_request(method, target, body, headers);
    auto r = conn.read_response(30s);
    if (!r) throw std::runtime_error("no response to " + method + " " + target);
    return *r;
  }

  // Starts the crasher, watches it by pid, lets it crash and returns its wait status.
  int crash_once(const std::vector<std::string>& args) {
    std::vector<std::string> argv{dbg::test::target_path("crasher_O2")};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess child(argv);
    BOOST_REQUIRE(child.wait_for_line("ready", 10s));
    auto watched = request("POST", "/api/v1/watches", json{{"pid", child.pid()}}.dump());
    BOOST_REQUIRE_MESSAGE(watched.status == 201, watched.body);
    BOOST_REQUIRE(child.write_stdin("go\n"));
    auto status = child.wait(60s);
    BOOST_REQUIRE(status);
    return *status;
  }

  // All groups, once the groups' counts add up to `events` (crash events reach the groups
  // asynchronously: watcher line, then the store's commit).
  json groups_when_total(int64_t events) {
    json groups;
    for (int i = 0; i < 1500; ++i) {
      auto r = request("GET", "/api/v1/errors?limit=100");
      BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
      groups = json::parse(r.body).at("groups");
      int64_t total = 0;
      for (const auto& g : groups) total += g.at("count").get<int64_t>();
      if (total >= events) return groups;
      std::this_thread::sleep_for(20ms);
    }
    BOOST_FAIL("the groups never counted " << events << " events: " << groups.dump());
    return groups;
  }
};

bool died_of(int status, int signal) { return WIFSIGNALED(status) && WTERMSIG(status) == signal; }

bool has_key(const json& group, const std::string& fragment) {
  for (const auto& k : group.at("signature_frames"))
    if (k.get<std::string>().find(fragment) != std::string::npos) return true;
  return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(one_crash_site_run_fifty_times_is_one_group_of_fifty) {
  Server server;
  for (int i = 0; i < 50; ++i) BOOST_TEST(died_of(server.crash_once({"null"}), SIGSEGV));
  auto groups = server.groups_when_total(50);
  BOOST_REQUIRE_EQUAL(groups.size(), 1u);
  const auto& g = groups.at(0);
  BOOST_TEST(g.at("count") == 50);
  BOOST_TEST(g.at("type") == "SIGSEGV/SEGV_MAPERR");
  BOOST_TEST(g.at("status") == "open");
  BOOST_TEST(g.at("frames").at(0).at("function") == "store_through");
  BOOST_TEST(has_key(g, "store_through"));

  // The group's latest event carries the crash's minimal context.
  auto detail = json::parse(server.request("GET", "/api/v1/errors/" + std::to_string(g.at("id").get<int64_t>())).body);
  const auto& event = detail.at("events").at(0);
  BOOST_TEST(event.at("kind") == "crash");
  BOOST_TEST(event.at("context").at("fault").at("class") == "null_page");
}

BOOST_AUTO_TEST_CASE(two_crash_sites_are_two_groups) {
  Server server;
  for (int i = 0; i < 2; ++i) {
    BOOST_TEST(died_of(server.crash_once({"null"}), SIGSEGV));
    BOOST_TEST(died_of(server.crash_once({"divzero"}), SIGFPE));
  }
  auto groups = server.groups_when_total(4);
  BOOST_REQUIRE_EQUAL(groups.size(), 2u);
  std::set<std::string> types;
  for (const auto& g : groups) {
    BOOST_TEST(g.at("count") == 2);
    types.insert(g.at("type").get<std::string>());
  }
  BOOST_TEST((types == std::set<std::string>{"SIGSEGV/SEGV_MAPERR", "SIGFPE/FPE_INTDIV"}));
}

BOOST_AUTO_TEST_CASE(the_same_bug_at_different_recursion_depths_is_one_group) {
  Server server;
  for (const char* depth : {"3", "7", "12"}) BOOST_TEST(died_of(server.crash_once({"deep", depth}), SIGSEGV));
  auto groups = server.groups_when_total(3);
  BOOST_REQUIRE_EQUAL(groups.size(), 1u);
  const auto& g = groups.at(0);
  BOOST_TEST(g.at("count") == 3);
  BOOST_TEST(has_key(g, "descend"));
  int descend_keys = 0;
  for (const auto& k : g.at("signature_frames")) descend_keys += k.get<std::string>().find("descend") != std::string::npos;
  BOOST_TEST(descend_keys == 1);  // recursion collapsed
}
