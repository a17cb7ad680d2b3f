// The fleet end to end: a real PostgreSQL (initdb in a temporary directory, tests/integration/
// postgres_fixture.hpp) and three real dbgcoord, each with its own data directory, port and host
// name, publishing into it. Errors reported on each must add up in the merged view exactly;
// PostgreSQL stopped for 30 s mid-stream and a coordinator killed with SIGKILL while it ships its
// backlog must lose nothing and count nothing twice (and a kill exactly between the COMMIT in
// PostgreSQL and the local delete, through a test hook, re-sends rows the watermark skips); the outbox's bound keeps counts and drops
// samples; a coordinator outside a fleet answers the fleet routes with 404 saying how to join.
#define BOOST_TEST_MODULE coordinator_fleet
#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "coordinator_test_client.hpp"
#include "postgres_fixture.hpp"
#include "test_support.hpp"

using namespace dbg::coord::test;
using nlohmann::json;

namespace {

// Polls until `done` holds; fails the test with `what` after `limit`.
void wait_until(const std::function<bool()>& done, std::chrono::seconds limit, const std::string& what) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "timed out waiting for " << what);
    std::this_thread::sleep_for(100ms);
  }
}

// One dbgcoord of the fleet.
struct Host {
  std::string name;
  TempDir dir;
  std::vector<std::string> args;
  std::optional<Coordinator> c;
  std::string token;

  Host(std::string host_name, const std::string& conninfo, std::vector<std::string> extra = {})
      : name(std::move(host_name)) {
    args = {"--listen", "127.0.0.1:0", "--data-dir", dir.path().string(), "--fleet-db", conninfo,
            "--host-name", name, "--fleet-heartbeat", "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    start();
  }
  void start() {
    c.emplace(start_coordinator(args));
    token = read_trimmed_file(dir.path() / "token");
  }
  void kill_hard() {
    c->process.signal(SIGKILL);
    c->process.wait(10s);
    c.reset();
  }
  HttpReply request(const std::string& method, const std::string& target, const std::string& body = {}) {
    return authorized_request(c->port, token, method, target, body, 60s);
  }
  json ok_json(const std::string& method, const std::string& target, const std::string& body = {}, int want = 200) {
    auto r = request(method, target, body);
    BOOST_REQUIRE_MESSAGE(r.status == want, name << ": " << method << " " << target << " -> " << r.status << " " << r.body);
    return json::parse(r.body);
  }
  json fleet() { return ok_json("GET", "/api/v1/fleet"); }
  json health() {
    auto r = http_request(c->port, "GET", "/healthz");
    return json::parse(r.body);
  }
  // Everything written so far has reached PostgreSQL.
  bool drained() {
    auto f = fleet();
    return f.at("state") == "connected" && f.at("outbox").at("rows") == 0;
  }
  // signature -> count, from this host's own groups.
  std::map<std::string, int64_t> local_counts() {
    std::map<std::string, int64_t> out;
    const json body = ok_json("GET", "/api/v1/errors?limit=1000");  // kept: the loop walks into it
    for (const auto& g : body.at("groups"))
      out[g.at("signature").get<std::string>()] = g.at("count").get<int64_t>();
    return out;
  }
};

json frame(const std::string& function, int line) {
  return json{{"function", function}, {"module", "shop"}, {"offset", "0x2410"}, {"file", "/src/shop/cart.cpp"},
              {"line", line}};
}

// A report whose signature is decided by `site`; `pad` bytes of context make its sample bigger.
json event_at(const std::string& site, std::size_t pad = 0) {
  return json{{"type", "std::out_of_range"},
              {"message", "index out of range"},
              {"comm", "shop"},
              {"frames", json::array({frame(site, 40), frame("shop::Server::handle(shop::Request const&)", 90),
                                      frame("main", 120)})},
              {"context", json{{"request_id", "r-1"}, {"pad", std::string(pad, 'x')}}}};
}

void post(Host& h, const std::string& site, int n, std::size_t pad = 0) {
  json events = json::array();
  for (int i = 0; i < n; ++i) events.push_back(event_at(site, pad));
  auto r = h.ok_json("POST", "/api/v1/errors/events", json{{"events", events}}.dump(), 201);
  BOOST_REQUIRE_EQUAL(r.at("accepted").get<int>(), n);
}

// The merged view, read through `via`: signature -> the group.
std::map<std::string, json> fleet_groups(Host& via, const std::string& query = "") {
  std::map<std::string, json> out;
  const json body = via.ok_json("GET", "/api/v1/fleet/errors?limit=1000" + query);  // kept: the loop walks into it
  for (const auto& g : body.at("groups"))
    out[g.at("signature").get<std::string>()] = g;
  return out;
}

// The merged view must be exactly the sum of the local ones: per group, per host, and the
// number of hosts affected.
void check_merged_equals_local_sum(std::vector<Host*> hosts) {
  std::map<std::string, std::map<std::string, int64_t>> local;  // signature -> host -> count
  for (Host* h : hosts)
    for (const auto& [signature, count] : h->local_counts()) local[signature][h->name] = count;
  auto merged = fleet_groups(*hosts.front());
  BOOST_REQUIRE_EQUAL(merged.size(), local.size());
  for (const auto& [signature, per_host] : local) {
    BOOST_TEST_CONTEXT("group " << signature) {
      BOOST_REQUIRE(merged.count(signature));
      const json& g = merged.at(signature);
      int64_t sum = 0;
      for (const auto& [host, count] : per_host) {
        sum += count;
        BOOST_TEST(g.at("hosts").at(host).get<int64_t>() == count);
      }
      BOOST_TEST(g.at("count").get<int64_t>() == sum);
      BOOST_TEST(g.at("hosts_affected").get<std::size_t>() == per_host.size());
      BOOST_TEST(g.at("hosts").size() == per_host.size());
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(three_hosts_merge_to_the_sum_of_their_local_views) {
  TempPostgres pg;
  Host a("host-a", pg.conninfo()), b("host-b", pg.conninfo()), c("host-c", pg.conninfo());
  // One error on every host, one on a alone, one on b and c.
  post(a, "shop::Cart::item_at(unsigned long)", 5);
  post(b, "shop::Cart::item_at(unsigned long)", 6);
  post(c, "shop::Cart::item_at(unsigned long)", 7);
  post(a, "shop::Pay::charge()", 3);
  post(b, "shop::Ship::label()", 2);
  post(c, "shop::Ship::label()", 4);
  for (Host* h : {&a, &b, &c}) wait_until([h] { return h->drained(); }, 60s, h->name + " to ship its outbox");
  check_merged_equals_local_sum({&a, &b, &c});

  // Any coordinator of the fleet serves the same merged view.
  BOOST_TEST(fleet_groups(c).size() == fleet_groups(a).size());
  // The oracle: PostgreSQL itself, read with psql.
  BOOST_TEST(pg.query("SELECT sum(count) FROM fleet_host_groups") == "27");
  BOOST_TEST(pg.query("SELECT count(*) FROM fleet_groups") == "3");

  auto hosts = a.ok_json("GET", "/api/v1/fleet/hosts").at("hosts");
  BOOST_REQUIRE_EQUAL(hosts.size(), 3u);
  std::set<std::string> names;
  for (const auto& h : hosts) {
    names.insert(h.at("host").get<std::string>());
    BOOST_TEST(h.at("up").get<bool>());
    BOOST_TEST(!h.at("version").get<std::string>().empty());
    BOOST_TEST(!h.at("boot_id").get<std::string>().empty());
  }
  BOOST_TEST((names == std::set<std::string>{"host-a", "host-b", "host-c"}));

  // A host filter: a's groups only, with a's own counts.
  auto only_a = fleet_groups(b, "&host=host-a");
  BOOST_REQUIRE_EQUAL(only_a.size(), 2u);
  for (const auto& [signature, g] : only_a) BOOST_TEST(g.at("host_count") == a.local_counts().at(signature));

  // One group: its hosts and sample events with their context.
  auto merged = fleet_groups(a);
  std::string shared_signature;
  for (const auto& [signature, g] : merged)
    if (g.at("hosts_affected") == 3) shared_signature = signature;
  BOOST_REQUIRE(!shared_signature.empty());
  auto group = a.ok_json("GET", "/api/v1/fleet/errors/" + shared_signature);
  BOOST_TEST(group.at("count") == 18);
  BOOST_REQUIRE_EQUAL(group.at("hosts").size(), 3u);
  BOOST_TEST(group.at("hosts")[0].at("host") == "host-c");  // most events first
  BOOST_REQUIRE(!group.at("samples").empty());
  const json& sample = group.at("samples")[0];
  BOOST_TEST(sample.at("event").at("frames").size() == 3u);
  BOOST_TEST(sample.at("event").at("context").at("request_id") == "r-1");
  BOOST_TEST(a.request("GET", "/api/v1/fleet/errors/" + std::string(32, 'f')).status == 404);
  BOOST_TEST(a.request("GET", "/api/v1/fleet/errors/not-hex").status == 404);
  BOOST_TEST(a.request("GET", "/api/v1/fleet/errors?host=a%20b").status == 400);
  BOOST_TEST(a.request("GET", "/api/v1/fleet/errors?limit=0").status == 400);

  // Healthy fleet: /healthz says ok and names the fleet's state.
  auto health = a.health();
  BOOST_TEST(health.at("status") == "ok");
  BOOST_TEST(health.at("fleet").at("state") == "connected");
}

BOOST_AUTO_TEST_CASE(a_real_crash_on_each_of_two_hosts_is_one_fleet_group_with_its_context) {
  TempPostgres pg;
  Host a("host-a", pg.conninfo()), b("host-b", pg.conninfo());
  for (Host* h : {&a, &b}) {
    // A crash watch (ptrace) of a real crasher, which then dereferences NULL.
    dbg::test::ChildProcess child({dbg::test::target_path("crasher_O2"), "null"});
    BOOST_REQUIRE(child.wait_for_line("ready", 10s));
    h->ok_json("POST", "/api/v1/watches", json{{"pid", child.pid()}}.dump(), 201);
    BOOST_REQUIRE(child.write_stdin("go\n"));
    const auto status = child.wait(60s);
    BOOST_REQUIRE(status.has_value());
    BOOST_TEST((WIFSIGNALED(*status) && WTERMSIG(*status) == SIGSEGV));
    // Crash events are stored asynchronously: wait for the group, then for the outbox.
    wait_until(
        [h] {
          const json list = h->ok_json("GET", "/api/v1/errors?limit=100");  // kept: the loop walks into it
          for (const auto& g : list.at("groups"))
            if (g.at("type").get<std::string>().starts_with("SIGSEGV")) return true;
          return false;
        },
        60s, h->name + "'s crash group");
    wait_until([h] { return h->drained(); }, 60s, h->name + " to ship the crash");
  }
  check_merged_equals_local_sum({&a, &b});
  const auto crashes = fleet_groups(a, "&class=SIGSEGV");
  BOOST_REQUIRE_EQUAL(crashes.size(), 1u);
  const json& g = crashes.begin()->second;
  BOOST_TEST(g.at("hosts_affected") == 2);
  BOOST_TEST(g.at("count") == 2);
  auto group = b.ok_json("GET", "/api/v1/fleet/errors/" + crashes.begin()->first);
  BOOST_REQUIRE_EQUAL(group.at("samples").size(), 2u);
  for (const auto& sample : group.at("samples")) {
    BOOST_TEST(sample.at("event").at("kind") == "crash");
    BOOST_TEST(sample.at("event").at("source") == "watch");
    BOOST_TEST(!sample.at("event").at("frames").empty());
    BOOST_TEST(!sample.at("event").at("context").empty());  // the crash's minimal context
  }
}

BOOST_AUTO_TEST_CASE(a_30s_outage_and_a_sigkill_mid_publish_lose_nothing_and_double_nothing) {
  TempPostgres pg;
  Host a("host-a", pg.conninfo()), b("host-b", pg.conninfo()), c("host-c", pg.conninfo());
  std::vector<Host*> all{&a, &b, &c};
  for (Host* h : all) post(*h, "shop::Cart::item_at(unsigned long)", 10);
  for (Host* h : all) wait_until([h] { return h->drained(); }, 60s, h->name + " to ship before the outage");

  pg.stop();
  // Local work goes on: every POST is still acknowledged; the fleet is reported degraded.
  const auto outage_end = std::chrono::steady_clock::now() + 30s;
  int round = 0;
  while (std::chrono::steady_clock::now() < outage_end) {
    for (Host* h : all) post(*h, "shop::Cart::item_at(unsigned long)", 20);
    post(a, "shop::Outage::only_a(" + std::to_string(round % 5) + ")", 3);
    ++round;
    std::this_thread::sleep_for(500ms);
  }
  for (Host* h : all) {
    auto health = h->health();
    BOOST_TEST(health.at("status") == "degraded");
    BOOST_TEST(health.at("fleet").at("state") == "unreachable");
    BOOST_TEST(h->fleet().at("outbox").at("rows").get<int>() > 0);
  }
  // A fleet read while the database is down: 503 with a reason, not a hang or a 500.
  auto down = a.request("GET", "/api/v1/fleet/errors");
  BOOST_TEST(down.status == 503);

  // Back: b is killed with SIGKILL while it ships its backlog (it reconnects within its backoff,
  // at most a few seconds), then started again on the same data directory.
  pg.start();
  wait_until([&b] { return b.fleet().at("state") == "connected"; }, 60s, "host-b to reconnect");
  b.kill_hard();
  post(a, "shop::Cart::item_at(unsigned long)", 1);
  b.start();
  post(b, "shop::Cart::item_at(unsigned long)", 1);
  for (Host* h : all) wait_until([h] { return h->drained(); }, 90s, h->name + " to ship its backlog");
  check_merged_equals_local_sum(all);
  auto health = b.health();
  BOOST_TEST(health.at("status") == "ok");
}

BOOST_AUTO_TEST_CASE(a_kill_between_the_commit_and_the_local_delete_counts_nothing_twice) {
  TempPostgres pg;
  TempDir dir;
  const std::vector<std::string> args{"--listen", "127.0.0.1:0", "--data-dir", dir.path().string(), "--fleet-db",
                                      pg.conninfo(), "--host-name", "host-a", "--fleet-heartbeat", "1"};
  {
    // The test hook kills dbgcoord right after its first COMMIT in PostgreSQL, before it deletes
    // the shipped rows locally: they are still in its outbox at the next start.
    Coordinator doomed = start_coordinator(args, {"DBG_FLEET_TEST_KILL_AFTER_COMMIT=1"});
    const std::string token = read_trimmed_file(dir.path() / "token");
    json events = json::array();
    for (int i = 0; i < 7; ++i) events.push_back(event_at("shop::Once::only()"));
    auto r = authorized_request(doomed.port, token, "POST", "/api/v1/errors/events", json{{"events", events}}.dump());
    BOOST_REQUIRE_EQUAL(r.status, 201);
    const auto status = doomed.process.wait(60s);
    BOOST_REQUIRE(status.has_value());
    BOOST_TEST((WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL));
  }
  BOOST_TEST(pg.query("SELECT sum(count) FROM fleet_groups") == "7");
  // Started again without the hook: the rows go again, the watermark skips them.
  Coordinator again = start_coordinator(args);
  const std::string token = read_trimmed_file(dir.path() / "token");
  wait_until(
      [&] {
        auto f = json::parse(authorized_request(again.port, token, "GET", "/api/v1/fleet").body);
        return f.at("state") == "connected" && f.at("outbox").at("rows") == 0;
      },
      60s, "the outbox to drain after the restart");
  BOOST_TEST(pg.query("SELECT sum(count) FROM fleet_groups") == "7");
  const std::string metrics = authorized_request(again.port, token, "GET", "/metrics").body;
  BOOST_TEST(metrics.find("dbgcoord_fleet_rows_skipped_total 1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_full_outbox_keeps_exact_counts_and_drops_samples) {
  TempPostgres pg;
  pg.stop();  // the database comes later: everything waits in the outbox
  Host a("host-a", pg.conninfo(), {"--fleet-outbox-mb", "1"});
  // 60 bodies x 5 groups: a row each with a sample of ~4 KB of context: 1.2 MB, past the 1 MiB.
  for (int body = 0; body < 60; ++body) {
    json events = json::array();
    for (int g = 0; g < 5; ++g)
      for (int i = 0; i < 20; ++i) events.push_back(event_at("shop::Bulk::g" + std::to_string(g) + "()", 4096 + body));
    a.ok_json("POST", "/api/v1/errors/events", json{{"events", events}}.dump(), 201);
  }
  auto f = a.fleet();
  const auto outbox = f.at("outbox");
  BOOST_TEST(outbox.at("full").get<bool>());
  BOOST_TEST(outbox.at("samples_dropped").get<int>() > 0);
  // Past the bound one count-only row per group takes every later batch: rows stop growing.
  BOOST_TEST(outbox.at("rows").get<int>() < 60 * 5);
  BOOST_TEST(outbox.at("bytes").get<int64_t>() < (1 << 20) + 64 * 1024);

  pg.start();
  wait_until([&a] { return a.drained(); }, 60s, "the outbox to ship");
  check_merged_equals_local_sum({&a});
  BOOST_TEST(pg.query("SELECT sum(count) FROM fleet_groups") == "6000");
}

BOOST_AUTO_TEST_CASE(outside_a_fleet_the_fleet_routes_say_how_to_join) {
  TempDir dir;
  auto c = start_coordinator_in(dir.path());
  const std::string token = read_trimmed_file(dir.path() / "token");
  for (const char* path : {"/api/v1/fleet", "/api/v1/fleet/hosts", "/api/v1/fleet/errors", "/api/v1/fleet/errors/ab",
                           "/api/v1/fleet/sessions", "/api/v1/fleet/sessions/ab"}) {
    auto r = authorized_request(c.port, token, "GET", path);
    BOOST_TEST_CONTEXT(path) {
      BOOST_TEST(r.status == 404);
      BOOST_TEST(r.headers.at("content-type") == "application/problem+json");
      BOOST_TEST(r.body.find("--fleet-db") != std::string::npos);
    }
  }
  auto post = authorized_request(c.port, token, "POST", "/api/v1/fleet/sessions", R"({"hosts":"all"})");
  BOOST_TEST(post.status == 404);
  BOOST_TEST(post.body.find("--fleet-db") != std::string::npos);
  // No fleet, no fleet line in /healthz, and nothing degraded.
  auto health = json::parse(http_request(c.port, "GET", "/healthz").body);
  BOOST_TEST(health.at("status") == "ok");
  BOOST_TEST(!health.contains("fleet"));
}

BOOST_AUTO_TEST_CASE(an_unreachable_database_degrades_health_and_refuses_no_local_request) {
  TempDir dir;
  // Nothing listens there; the password must not reach the log or the API.
  const std::string url = "postgresql://dbg:S3cretPw@/postgres?host=" + dir.path().string() + "&port=1";
  auto c = start_coordinator({"--listen", "127.0.0.1:0", "--data-dir", dir.path().string(), "--fleet-db", url});
  const std::string token = read_trimmed_file(dir.path() / "token");
  wait_until(
      [&] { return json::parse(http_request(c.port, "GET", "/healthz").body).at("fleet").at("state") == "unreachable"; },
      30s, "the fleet state to become unreachable");
  auto health = json::parse(http_request(c.port, "GET", "/healthz").body);
  BOOST_TEST(health.at("status") == "degraded");
  auto posted = authorized_request(c.port, token, "POST", "/api/v1/errors/events",
                                   json{{"events", json::array({event_at("shop::A::b()")})}}.dump());
  BOOST_TEST(posted.status == 201);
  auto fleet = authorized_request(c.port, token, "GET", "/api/v1/fleet");
  BOOST_TEST(fleet.status == 200);
  BOOST_TEST(fleet.body.find("S3cretPw") == std::string::npos);
  BOOST_TEST(health.dump().find("S3cretPw") == std::string::npos);
  // The log names the database without the password (the logger is asynchronous: wait for the line).
  const auto log = dir.path() / "logs" / "dbgcoord.log";
  wait_until([&] { return read_trimmed_file(log).find("fleet database unreachable") != std::string::npos; }, 30s,
             "the fleet line in " + log.string());
  const std::string text = read_trimmed_file(log);
  BOOST_TEST(text.find("S3cretPw") == std::string::npos);
  BOOST_TEST(text.find("postgresql://dbg:***@") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_schema_from_a_newer_dbgcoord_is_refused_with_a_clear_message) {
  TempPostgres pg;
  {
    Host first("host-a", pg.conninfo());
    wait_until([&first] { return first.fleet().at("state") == "connected"; }, 30s, "the first host to connect");
  }
  pg.query("INSERT INTO fleet_schema_migrations (version, name) VALUES (999, 'from_the_future')");
  Host second("host-b", pg.conninfo());
  wait_until([&second] { return second.fleet().at("state") == "refused"; }, 30s, "the newer schema to be refused");
  const std::string detail = second.fleet().at("detail");
  BOOST_TEST(detail.find("999") != std::string::npos);
  BOOST_TEST(detail.find("upgrade dbgcoord") != std::string::npos);
  BOOST_TEST(second.health().at("status") == "degraded");
  // Nothing of host-b was written there.
  BOOST_TEST(pg.query("SELECT count(*) FROM fleet_hosts WHERE host = 'host-b'") == "0");
}

BOOST_AUTO_TEST_CASE(a_fleet_session_over_three_hosts_with_one_down_merges_the_two_that_ran) {
  TempPostgres pg;
  // One target on this machine, which every host of this test can see: chain 2 blocks its
  // threads in known functions.
  dbg::test::ChildProcess target({dbg::test::target_path("chain"), "2"});
  BOOST_REQUIRE(target.wait_for_line("ready", 10s));
  // "ready" is printed once every thread has counted itself, just before it calls pause(): wait
  // until all sleep, so both hosts' snapshots catch every thread at the same place.
  wait_until(
      [&target] {
        for (pid_t tid : dbg::test::thread_ids(target.pid()))
          if (dbg::test::thread_state(target.pid(), tid) != 'S') return false;
        return true;
      },
      10s, "the target's threads to sleep in pause()");
  Host a("host-a", pg.conninfo()), b("host-b", pg.conninfo()), c("host-c", pg.conninfo());
  // d publishes but runs no fleet tasks: sessions over "all" leave it out.
  Host d("host-d", pg.conninfo(), {"--fleet-tasks", "off"});
  for (Host* h : {&a, &b, &c, &d})
    wait_until([h] { return h->fleet().at("state") == "connected"; }, 30s, h->name + " to join");
  // c goes down: after three missed heartbeats (1 s each) the fleet sees it down.
  c.kill_hard();
  wait_until(
      [&a] {
        const json hosts = a.ok_json("GET", "/api/v1/fleet/hosts");  // kept: the loop walks into it
        for (const auto& h : hosts.at("hosts"))
          if (h.at("host") == "host-c") return !h.at("up").get<bool>();
        return false;
      },
      30s, "host-c to be seen down");

  // Bad requests change nothing.
  BOOST_TEST(a.request("POST", "/api/v1/fleet/sessions", R"({"kind":"snapshot"})").status == 400);
  BOOST_TEST(a.request("POST", "/api/v1/fleet/sessions", R"({"hosts":["nope"],"kind":"snapshot","targets":{"all":true}})").status == 400);
  BOOST_TEST(a.request("POST", "/api/v1/fleet/sessions", R"({"hosts":"all","kind":"dance","targets":{"all":true}})").status == 400);
  BOOST_TEST(a.request("POST", "/api/v1/fleet/sessions", R"({"hosts":"all","kind":"snapshot","targets":{"pids":[1]},"deadline_s":0})").status == 400);
  auto refused = a.request("POST", "/api/v1/fleet/sessions", R"({"hosts":["host-d"],"kind":"snapshot","targets":{"pids":[1]}})");
  BOOST_TEST(refused.status == 400);
  BOOST_TEST(refused.body.find("--fleet-tasks off") != std::string::npos);
  BOOST_TEST(pg.query("SELECT count(*) FROM fleet_sessions") == "0");

  const std::string body = json{{"hosts", "all"},
                                {"kind", "snapshot"},
                                {"targets", {{"pids", {target.pid()}}}},
                                {"options", {{"source", "none"}}},
                                {"deadline_s", 60}}
                               .dump();
  auto created = a.ok_json("POST", "/api/v1/fleet/sessions", body, 201);
  const std::string id = created.at("id");
  BOOST_TEST(created.at("hosts").size() == 3u);
  BOOST_TEST(!created.at("hosts").contains("host-d"));
  json session;
  wait_until(
      [&] {
        session = b.ok_json("GET", "/api/v1/fleet/sessions/" + id);  // any host serves it
        return session.at("status") == "done";
      },
      60s, "the fleet session to finish");
  BOOST_TEST(session.at("hosts").at("host-a").at("status") == "done");
  BOOST_TEST(session.at("hosts").at("host-b").at("status") == "done");
  BOOST_TEST(session.at("hosts").at("host-c").at("status") == "host_down");
  // The two that ran each snapshotted the target's threads. Both trace the same process here (one
  // machine), so one may catch it while the other holds it: their stacks need not be the same
  // texts. What the merge must do is exact: each host's count of each stack is what that host's
  // own snapshots fold to, and the sum over stacks is the sum over hosts.
  for (Host* h : {&a, &b}) {
    std::map<std::string, int64_t> local_folded;
    const json local = h->ok_json("GET", "/api/v1/sessions/" + session.at("hosts").at(h->name).at("local_session_id").get<std::string>());
    for (const auto& batch : local.at("batches"))
      for (const auto& t : batch.at("targets")) {
        if (!t.at("snapshot_id").is_number_integer()) continue;
        auto folded_text = h->request("GET", "/api/v1/snapshots/" + std::to_string(t.at("snapshot_id").get<int64_t>()) + "?format=folded");
        std::istringstream folded_lines(folded_text.body);
        for (std::string line; std::getline(folded_lines, line);)
          local_folded[line.substr(0, line.rfind(' '))] += std::stoll(line.substr(line.rfind(' ') + 1));
      }
    BOOST_REQUIRE(!local_folded.empty());
    for (const auto& [stack, count] : local_folded) {
      bool found = false;
      for (const auto& st : session.at("stacks"))
        if (st.at("stack") == stack) {
          found = true;
          BOOST_TEST(st.at("hosts").at(h->name).get<int64_t>() == count, h->name << ": " << stack);
        }
      BOOST_TEST(found, h->name << ": " << stack);
    }
  }
  int64_t stack_sum = 0;
  for (const auto& st : session.at("stacks")) {
    int64_t per_host = 0;
    for (const auto& [host, n] : st.at("hosts").items()) per_host += n.get<int64_t>();
    BOOST_TEST(st.at("count").get<int64_t>() == per_host);
    stack_sum += st.at("count").get<int64_t>();
  }
  const int64_t host_sum = session.at("hosts").at("host-a").at("samples").get<int64_t>() +
                           session.at("hosts").at("host-b").at("samples").get<int64_t>();
  // One folded line per thread snapshotted: the target's threads, on each of the two hosts.
  BOOST_TEST(host_sum == static_cast<int64_t>(2 * dbg::test::thread_ids(target.pid()).size()));
  BOOST_TEST(stack_sum == host_sum);
  bool saw_chain = false;
  for (const auto& st : session.at("stacks"))
    saw_chain = saw_chain || st.at("stack").get<std::string>().find("chain_level_4") != std::string::npos;
  BOOST_TEST(saw_chain);

  auto folded = a.request("GET", "/api/v1/fleet/sessions/" + id + "?format=folded");
  BOOST_TEST(folded.status == 200);
  int64_t folded_sum = 0;
  std::istringstream lines(folded.body);
  for (std::string line; std::getline(lines, line);) folded_sum += std::stoll(line.substr(line.rfind(' ') + 1));
  BOOST_TEST(folded_sum == host_sum);
  auto speedscope = a.request("GET", "/api/v1/fleet/sessions/" + id + "?format=speedscope");
  BOOST_TEST(speedscope.status == 200);
  BOOST_TEST(json::parse(speedscope.body).at("profiles").size() >= 1u);
  auto pprof = a.request("GET", "/api/v1/fleet/sessions/" + id + "?format=pprof");
  BOOST_TEST(pprof.status == 200);
  BOOST_TEST((pprof.body.size() > 2 && static_cast<unsigned char>(pprof.body[0]) == 0x1f &&
              static_cast<unsigned char>(pprof.body[1]) == 0x8b));
  BOOST_TEST(a.request("GET", "/api/v1/fleet/sessions/" + id + "?format=svg").status == 400);
  BOOST_TEST(a.request("GET", "/api/v1/fleet/sessions/" + std::string(32, 'e')).status == 404);
  auto listed = a.ok_json("GET", "/api/v1/fleet/sessions");
  BOOST_TEST(listed.at("sessions").size() == 1u);
  // Each host ran it as a session of its own, visible in its local API.
  const std::string local = session.at("hosts").at("host-b").at("local_session_id");
  BOOST_TEST(b.ok_json("GET", "/api/v1/sessions/" + local).at("status") == "done");
  // The hosts' own sessions are published too (the outbox's "session" rows): b's local run of
  // the task, with its folded stacks, listed under host-b by any host.
  wait_until([&b] { return b.drained(); }, 60s, "host-b to ship its session");
  const json published = a.ok_json("GET", "/api/v1/fleet/hosts/host-b/sessions");
  BOOST_REQUIRE_EQUAL(published.at("sessions").size(), 1u);
  BOOST_TEST(published.at("sessions")[0].at("local_session_id") == local);
  BOOST_TEST(published.at("sessions")[0].at("status") == "done");
  BOOST_TEST(published.at("sessions")[0].at("samples") == session.at("hosts").at("host-b").at("samples"));
  BOOST_TEST(pg.query("SELECT count(*) FROM fleet_host_sessions") == "2");
  // The target was never left stopped.
  BOOST_TEST(!dbg::test::any_thread_stopped(target.pid()));
}
