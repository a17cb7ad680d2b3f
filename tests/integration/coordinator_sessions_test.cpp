// The coordinator end to end: a real dbgcoord, real workers, real targets, a real SQLite file.
// Sessions by regex over 20 targets arrive in rank order in batches of at most 8, never with
// more worker processes than the bound; a WebSocket client sees the events in order; results
// survive a restart; bad input is refused and changes nothing; a worker killed mid-job is
// replaced and the session still completes.
#define BOOST_TEST_MODULE coordinator_sessions
#include <boost/test/unit_test.hpp>

#include <dirent.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <atomic>
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

// A coordinator with its token, on a fresh ephemeral port.
struct Server {
  Coordinator c;
  std::string token;
  Server(const std::filesystem::path& data_dir, std::vector<std::string> extra = {}, std::vector<std::string> env = {})
      : c(start(data_dir, std::move(extra), std::move(env))), token(read_trimmed_file(data_dir / "token")) {}
  static Coordinator start(const std::filesystem::path& data_dir, std::vector<std::string> extra, std::vector<std::string> env) {
    std::vector<std::string> args{"--listen", "127.0.0.1:0", "--data-dir", data_dir.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return start_coordinator(args, env);
  }
  HttpReply request(const std::string& method, const std::string& target, const std::string& body = {},
                    std::optional<std::string> bearer = std::nullopt) {
    HttpConnection conn(c.port);
    std::vector<std::string> headers{"Connection: close", "Authorization: Bearer " + bearer.value_or(token)};
    if (!body.empty()) headers.push_back("Content-Type: application/json");
    conn.send_request(method, target, body, headers);
    auto r = conn.read_response(30s);
    if (!r) throw std::runtime_error("no response to " + method + " " + target);
    return *r;
  }
  json get_json(const std::string& target) {
    auto r = request("GET", target);
    BOOST_REQUIRE_MESSAGE(r.status == 200, target << " -> " << r.status << " " << r.body);
    return json::parse(r.body);
  }
  // Polls the session until it ended.
  json wait_session(const std::string& id, std::chrono::seconds timeout = 60s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto s = get_json("/api/v1/sessions/" + id);
      std::string status = s.at("status");
      if (status == "done" || status == "cancelled" || status == "failed") return s;
      BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "session " << id << " still " << status);
      std::this_thread::sleep_for(20ms);
    }
  }
};

// Children of pid whose comm is `comm`.
std::vector<pid_t> children_named(pid_t pid, const std::string& comm) {
  std::vector<pid_t> out;
  for (pid_t tid : dbg::test::thread_ids(pid)) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/children");
    pid_t child;
    while (in >> child) {
      if (read_trimmed_file("/proc/" + std::to_string(child) + "/comm") == comm) out.push_back(child);
    }
  }
  return out;
}

// A WebSocket client on /api/v1/events, token in the query string (as a browser would do).
class EventClient {
 public:
  EventClient(int port, const std::string& token, const std::string& topics = "") : ws_(ioc_) {
    boost::asio::ip::tcp::resolver resolver(ioc_);
    boost::asio::connect(ws_.next_layer(), resolver.resolve("127.0.0.1", std::to_string(port)));
    std::string target = "/api/v1/events?token=" + token + (topics.empty() ? "" : "&topics=" + topics);
    ws_.handshake("127.0.0.1:" + std::to_string(port), target);
  }
  json next() {
    boost::beast::flat_buffer buffer;
    ws_.read(buffer);
    return json::parse(boost::beast::buffers_to_string(buffer.data()));
  }

 private:
  boost::asio::io_context ioc_;
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
};

// Targets with a name unique to this test run: a symlink to the chain target, so that comm
// (the executable's file name) matches only them.
struct NamedTargets {
  TempDir dir;
  std::string name;
  std::vector<ChildProcess> children;
  NamedTargets(const std::string& prefix, const std::vector<int>& thread_counts)
      : name(prefix + std::to_string(::getpid() % 100000)) {
    auto link = dir.path() / name;
    std::filesystem::create_symlink(dbg::test::target_path("chain"), link);
    for (int n : thread_counts) {
      children.emplace_back(std::vector<std::string>{link.string(), std::to_string(n)});
      BOOST_REQUIRE(children.back().wait_for_line("ready", 10s));
    }
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(regex_session_over_20_targets_in_rank_order_batches_of_8_bounded_workers) {
  std::vector<int> threads;
  for (int i = 0; i < 20; ++i) threads.push_back(1 + (i * 7) % 20);  // different importance (thread count)
  NamedTargets targets("rk", threads);
  TempDir data;
  Server server(data.path(), {"--workers", "3", "--batch-size", "8"});
  EventClient events(server.c.port, server.token);

  // Watch the coordinator's children for the whole run.
  std::atomic<bool> running{true};
  std::atomic<size_t> max_workers{0};
  std::thread watcher([&] {
    while (running) {
      size_t n = children_named(server.c.process.pid(), "dbg-worker").size();
      if (n > max_workers) max_workers = n;
      std::this_thread::sleep_for(2ms);
    }
  });

  auto created = server.request("POST", "/api/v1/sessions",
                                R"({"kind":"snapshot","targets":{"match":"^)" + targets.name + R"($"}})");
  BOOST_REQUIRE_MESSAGE(created.status == 202, created.body);
  auto session = json::parse(created.body);
  std::string id = session.at("id");
  BOOST_TEST(created.header("location") == "/api/v1/sessions/" + id);
  auto done = server.wait_session(id);
  running = false;
  watcher.join();

  BOOST_TEST(done.at("status") == "done");
  BOOST_TEST(done.at("total_ms").get<double>() > 0);
  BOOST_TEST(max_workers.load() >= 1u);
  BOOST_TEST(max_workers.load() <= 3u);
  // 20 targets in batches of at most 8, in rank order (score descending, ties by pid).
  const auto& batches = done.at("batches");
  BOOST_REQUIRE_EQUAL(batches.size(), 3u);
  std::vector<std::pair<double, int>> order;
  std::set<int> pids;
  for (const auto& b : batches) {
    BOOST_TEST(b.at("targets").size() <= 8u);
    BOOST_TEST(b.at("status") == "done");
    BOOST_TEST(b.at("elapsed_ms").get<double>() >= 0);
    for (const auto& t : b.at("targets")) {
      BOOST_TEST(t.at("status") == "done");
      BOOST_TEST(t.at("snapshot_id").is_number_integer());
      order.emplace_back(t.at("score").get<double>(), t.at("pid").get<int>());
      pids.insert(t.at("pid").get<int>());
    }
  }
  BOOST_TEST(pids.size() == 20u);
  for (const auto& child : targets.children) BOOST_TEST(pids.count(child.pid()) == 1u);
  for (size_t i = 1; i < order.size(); ++i) {
    bool ordered = order[i - 1].first > order[i].first ||
                   (order[i - 1].first == order[i].first && order[i - 1].second < order[i].second);
    BOOST_TEST(ordered, "rank order broken at " << i);
  }
  // More threads, more importance: the 20-thread target outranks the 1-thread one.
  BOOST_TEST(order.front().first > order.back().first);

  // The events, in order: created, then for each batch dispatched ... done, then session done.
  std::vector<json> seen;
  for (;;) {
    auto e = events.next();
    if (e.at("data").value("session_id", e.at("data").value("id", "")) != id) continue;
    seen.push_back(e);
    if (e.at("type") == "session_done") break;
  }
  BOOST_REQUIRE(!seen.empty());
  BOOST_TEST(seen.front().at("type") == "session_created");
  for (size_t i = 1; i < seen.size(); ++i) BOOST_TEST(seen[i].at("seq").get<uint64_t>() > seen[i - 1].at("seq").get<uint64_t>());
  // Batches overlap by one step: batch k+1 is dispatched once every result of batch k is back
  // (batch_captured k), while batch k's snapshots may still be committing; so at most one batch
  // is being captured at a time, and each batch is done after its own snapshots are stored.
  std::map<int, int> batch_of_pid;
  for (size_t b = 0; b < batches.size(); ++b)
    for (const auto& t : batches[b].at("targets")) batch_of_pid[t.at("pid").get<int>()] = static_cast<int>(b);
  int dispatched = 0, captured = 0, finished = 0, stored = 0;
  std::map<int, int> stored_in_batch;
  for (const auto& e : seen) {
    std::string type = e.at("type");
    const json& d = e.at("data");
    if (type == "batch_dispatched") {
      BOOST_TEST(d.at("index") == dispatched);
      BOOST_TEST(captured == dispatched, "batch " << dispatched << " dispatched before batch " << captured << " was captured");
      ++dispatched;
    } else if (type == "batch_captured") {
      BOOST_TEST(d.at("index") == captured);
      BOOST_TEST(captured < dispatched);
      ++captured;
    } else if (type == "batch_done") {
      int index = d.at("index");
      BOOST_TEST(index == finished);
      BOOST_TEST(index < captured);
      int size = static_cast<int>(batches[static_cast<size_t>(index)].at("targets").size());
      BOOST_TEST(stored_in_batch[index] == size, "batch " << index << " done before all its snapshots were stored");
      BOOST_TEST(d.at("progress").at("done") == std::min(20, 8 * (index + 1)));
      ++finished;
    } else if (type == "snapshot_stored") {
      int b = batch_of_pid.at(d.at("pid").get<int>());
      BOOST_TEST(b < dispatched);
      BOOST_TEST(b >= finished);
      ++stored_in_batch[b];
      ++stored;
    }
  }
  BOOST_TEST(dispatched == 3);
  BOOST_TEST(captured == 3);
  BOOST_TEST(finished == 3);
  BOOST_TEST(stored == 20);

  // One snapshot, in every format.
  int64_t sid = batches.at(0).at("targets").at(0).at("snapshot_id");
  auto snap = server.get_json("/api/v1/snapshots/" + std::to_string(sid));
  BOOST_TEST(snap.at("session_id") == id);
  BOOST_TEST(snap.at("comm") == targets.name);
  BOOST_TEST(snap.at("threads").size() >= 1u);
  auto text = server.request("GET", "/api/v1/snapshots/" + std::to_string(sid) + "?format=text");
  BOOST_TEST(text.status == 200);
  BOOST_TEST(text.body.find("chain_level_2") != std::string::npos);
  auto folded = server.request("GET", "/api/v1/snapshots/" + std::to_string(sid) + "?format=folded");
  BOOST_TEST(folded.body.find("chain_level_1;chain_level_2;chain_level_3") != std::string::npos);
  auto grouped = server.get_json("/api/v1/snapshots/" + std::to_string(sid) + "?group=stack");
  BOOST_TEST(grouped.at("groups").size() >= 1u);

  // Restart: everything acknowledged is still there.
  server.c.process.signal(SIGTERM);
  BOOST_REQUIRE_EQUAL(exit_code_of(server.c.process.wait(10s)), 0);
  Server again(data.path());
  auto after = again.get_json("/api/v1/sessions/" + id);
  BOOST_TEST(after.at("status") == "done");
  BOOST_TEST(after.at("batches") == done.at("batches"));
  for (const auto& b : batches)
    for (const auto& t : b.at("targets")) {
      auto r = again.request("GET", "/api/v1/snapshots/" + std::to_string(t.at("snapshot_id").get<int64_t>()));
      BOOST_TEST(r.status == 200);
    }
  auto list = again.get_json("/api/v1/sessions");
  BOOST_TEST(list.at("sessions").size() == 1u);
}

BOOST_AUTO_TEST_CASE(bad_input_gets_the_right_status_and_stores_nothing) {
  NamedTargets targets("bd", {1});
  TempDir data;
  Server server(data.path());
  {
    // A body over the limit is refused from its Content-Length, before it is read: send only
    // the head (the server may close before a 2 MiB body would be written, which is the point).
    HttpConnection conn(server.c.port);
    conn.send_raw("POST /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + server.token +
                  "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(2 << 20) + "\r\n\r\n");
    auto r = conn.read_response(10s);
    BOOST_REQUIRE(r);
    BOOST_TEST(r->status == 413);
  }
  struct Case {
    std::string method, target, body;
    int status;
    std::optional<std::string> bearer;
  } cases[] = {
      {"POST", "/api/v1/sessions", "{not json", 400, {}},
      {"POST", "/api/v1/sessions", R"({"targets":{"pids":"12"}})", 400, {}},
      {"POST", "/api/v1/sessions", R"({"kind":7,"targets":{"all":true}})", 400, {}},
      {"POST", "/api/v1/sessions", R"({"targets":{"all":true},"options":{"max_depth":"deep"}})", 400, {}},
      {"POST", "/api/v1/sessions", R"({"targets":{"all":true},"colour":"red"})", 400, {}},
      {"POST", "/api/v1/sessions", R"({"targets":{"pids":[999999999]}})", 404, {}},
      {"POST", "/api/v1/sessions", R"({"targets":{"pids":[1]}})", 403, {}},
      {"POST", "/api/v1/sessions", R"({"targets":{"pids":[)" + std::to_string(server.c.process.pid()) + "]}}", 403, {}},
      {"POST", "/api/v1/sessions", R"({"targets":{"match":"(unclosed"}})", 400, {}},
      {"POST", "/api/v1/sessions", R"({"targets":{"match":"^no-such-process-xyz$"}})", 404, {}},
      {"POST", "/api/v1/sessions", R"({"targets":{"pids":[)" + std::to_string(targets.children[0].pid()) + "]}}", 401, std::string()},
      {"POST", "/api/v1/sessions", R"({"targets":{"pids":[)" + std::to_string(targets.children[0].pid()) + "]}}", 401, std::string("wrong-token-0123456789")},
      {"GET", "/api/v1/sessions/s-nope", "", 404, {}},
      {"DELETE", "/api/v1/sessions/s-nope", "", 404, {}},
      {"GET", "/api/v1/snapshots/abc", "", 400, {}},
      {"GET", "/api/v1/snapshots/12345", "", 404, {}},
      {"GET", "/api/v1/processes?limit=0", "", 400, {}},
      {"GET", "/api/v1/processes?match=(", "", 400, {}},
  };
  for (const auto& c : cases) {
    HttpReply r;
    if (c.bearer && c.bearer->empty()) {
      HttpConnection conn(server.c.port);
      conn.send_request(c.method, c.target, c.body, {"Connection: close"});
      r = *conn.read_response(10s);
    } else {
      r = server.request(c.method, c.target, c.body, c.bearer);
    }
    BOOST_TEST_INFO(c.method << " " << c.target << " " << c.body.substr(0, 80) << " -> " << r.body.substr(0, 200));
    BOOST_TEST(r.status == c.status);
    BOOST_TEST(r.header("content-type") == "application/problem+json");
  }
  BOOST_TEST(server.get_json("/api/v1/sessions").at("sessions").empty());
}

BOOST_AUTO_TEST_CASE(processes_are_ranked_with_their_terms) {
  NamedTargets targets("pr", {1, 12});
  TempDir data;
  Server server(data.path());
  auto all = server.get_json("/api/v1/processes?match=^" + targets.name + "$");
  const auto& list = all.at("processes");
  BOOST_REQUIRE_EQUAL(list.size(), 2u);
  BOOST_TEST(list[0].at("threads") == 12);  // the bigger one ranks first
  BOOST_TEST(list[0].at("score").get<double>() > list[1].at("score").get<double>());
  BOOST_TEST(list[0].at("terms").is_array());
  BOOST_TEST(list[0].at("traceable") == true);
  auto limited = server.get_json("/api/v1/processes?limit=3");
  BOOST_TEST(limited.at("processes").size() == 3u);
  auto one = server.get_json("/api/v1/processes?match=^systemd$|^init$");
  for (const auto& p : one.at("processes"))
    if (p.at("pid") == 1) BOOST_TEST(p.at("traceable") == false);
}

BOOST_AUTO_TEST_CASE(a_worker_killed_mid_job_is_replaced_and_the_session_completes) {
  NamedTargets targets("wk", {2, 2, 2, 2});
  TempDir data;
  // Workers hold each captured thread 1.5 s (test hook), so there is time to kill one mid-job.
  Server server(data.path(), {"--workers", "2"}, {"DBG_WORKER_TEST_HOLD_MS=1500"});
  EventClient events(server.c.port, server.token, "worker");
  auto created = server.request("POST", "/api/v1/sessions",
                                R"({"targets":{"match":"^)" + targets.name + R"($"},"options":{"deadline_ms":60000,"source":"none"}})");
  BOOST_REQUIRE_EQUAL(created.status, 202);
  std::string id = json::parse(created.body).at("id");
  std::vector<pid_t> workers;
  for (int i = 0; i < 500 && workers.empty(); ++i) {
    workers = children_named(server.c.process.pid(), "dbg-worker");
    bool holding = false;
    for (const auto& t : targets.children) holding = holding || dbg::test::any_thread_stopped(t.pid());
    if (!holding) workers.clear();
    std::this_thread::sleep_for(10ms);
  }
  BOOST_REQUIRE(!workers.empty());
  ::kill(workers.front(), SIGKILL);
  auto done = server.wait_session(id, 120s);
  BOOST_TEST(done.at("status") == "done");
  int failed = 0, ok = 0;
  for (const auto& b : done.at("batches"))
    for (const auto& t : b.at("targets")) {
      if (t.at("status") == "failed") {
        ++failed;
        BOOST_TEST(t.at("error").at("code") == "worker_crashed");
      } else {
        BOOST_TEST(t.at("status") == "done");
        ++ok;
      }
    }
  BOOST_TEST(failed == 1);
  BOOST_TEST(ok == 3);
  // Nobody is left stopped, and the pool replaced its worker.
  for (const auto& t : targets.children) BOOST_TEST(!dbg::test::any_thread_stopped(t.pid()));
  bool replaced = false;
  for (int i = 0; i < 20 && !replaced; ++i) {
    auto e = events.next();
    replaced = e.at("type") == "worker_replaced";
  }
  BOOST_TEST(replaced);
}

BOOST_AUTO_TEST_CASE(a_session_can_be_cancelled) {
  NamedTargets targets("cx", {1, 1, 1, 1});
  TempDir data;
  Server server(data.path(), {"--workers", "1", "--batch-size", "1"}, {"DBG_WORKER_TEST_HOLD_MS=300"});
  auto created = server.request("POST", "/api/v1/sessions", R"({"targets":{"match":"^)" + targets.name + R"($"}})");
  BOOST_REQUIRE_EQUAL(created.status, 202);
  std::string id = json::parse(created.body).at("id");
  auto cancelled = server.request("DELETE", "/api/v1/sessions/" + id);
  BOOST_REQUIRE_EQUAL(cancelled.status, 200);
  auto s = json::parse(cancelled.body);
  BOOST_TEST(s.at("status") == "cancelled");
  BOOST_TEST(s.at("progress").at("cancelled").get<int>() >= 2);
  auto again = server.request("DELETE", "/api/v1/sessions/" + id);
  BOOST_TEST(again.status == 409);
  for (const auto& t : targets.children) {
    for (int i = 0; i < 200 && dbg::test::any_thread_stopped(t.pid()); ++i) std::this_thread::sleep_for(10ms);
    BOOST_TEST(!dbg::test::any_thread_stopped(t.pid()));
  }
}

BOOST_AUTO_TEST_CASE(a_session_cut_short_by_a_coordinator_crash_is_marked_failed_after_restart) {
  NamedTargets targets("ck", {1, 1, 1});
  TempDir data;
  std::string id;
  {
    Server server(data.path(), {"--workers", "1", "--batch-size", "1"}, {"DBG_WORKER_TEST_HOLD_MS=2000"});
    auto created = server.request("POST", "/api/v1/sessions", R"({"targets":{"match":"^)" + targets.name + R"($"}})");
    BOOST_REQUIRE_EQUAL(created.status, 202);
    id = json::parse(created.body).at("id");
    server.c.process.signal(SIGKILL);
    BOOST_REQUIRE(server.c.process.wait(10s).has_value());
  }
  // The dead coordinator's worker dies with its stdin; no target stays stopped.
  for (const auto& t : targets.children) {
    for (int i = 0; i < 300 && dbg::test::any_thread_stopped(t.pid()); ++i) std::this_thread::sleep_for(10ms);
    BOOST_TEST(!dbg::test::any_thread_stopped(t.pid()));
  }
  Server again(data.path());
  auto s = again.get_json("/api/v1/sessions/" + id);
  BOOST_TEST(s.at("status") == "failed");
  BOOST_TEST(s.at("reason").get<std::string>().find("stopped") != std::string::npos);
  for (const auto& b : s.at("batches"))
    for (const auto& t : b.at("targets")) BOOST_TEST((t.at("status") == "failed" || t.at("status") == "done"));
}

// The session row's progress is written only now and then; what was acknowledged (a batch_done:
// its snapshots are committed) must still be in the session after a SIGKILL and a restart.
BOOST_AUTO_TEST_CASE(acknowledged_targets_of_a_session_cut_short_by_a_crash_keep_their_snapshots) {
  NamedTargets targets("cs", {1, 1, 1, 1});
  TempDir data;
  std::string id;
  json acknowledged;  // the first batch's target, as GET showed it once batch_done came
  {
    Server server(data.path(), {"--workers", "1", "--batch-size", "1"}, {"DBG_WORKER_TEST_HOLD_MS=400"});
    EventClient events(server.c.port, server.token, "batch");
    auto created = server.request("POST", "/api/v1/sessions", R"({"targets":{"match":"^)" + targets.name + R"($"},"options":{"source":"none"}})");
    BOOST_REQUIRE_EQUAL(created.status, 202);
    id = json::parse(created.body).at("id");
    for (int i = 0; i < 50; ++i) {
      auto e = events.next();
      if (e.at("type") == "batch_done" && e.at("data").at("session_id") == id) break;
    }
    auto s = server.get_json("/api/v1/sessions/" + id);
    acknowledged = s.at("batches").at(0).at("targets").at(0);
    BOOST_REQUIRE(acknowledged.at("status") == "done");
    server.c.process.signal(SIGKILL);
    BOOST_REQUIRE(server.c.process.wait(10s).has_value());
  }
  Server again(data.path());
  auto s = again.get_json("/api/v1/sessions/" + id);
  BOOST_TEST(s.at("status") == "failed");
  auto first = s.at("batches").at(0).at("targets").at(0);
  BOOST_TEST(first.at("status") == "done");
  BOOST_TEST(first.at("snapshot_id") == acknowledged.at("snapshot_id"));
  BOOST_TEST(s.at("batches").at(0).at("status") == "done");
  auto snapshot = again.request("GET", "/api/v1/snapshots/" + std::to_string(first.at("snapshot_id").get<int64_t>()));
  BOOST_TEST(snapshot.status == 200);
  int last_status_failed = 0;
  for (const auto& t : s.at("batches").back().at("targets")) last_status_failed += t.at("status") == "failed";
  BOOST_TEST(last_status_failed == 1);  // the last target was still queued: not captured, interrupted
  for (const auto& t : targets.children) {
    for (int i = 0; i < 300 && dbg::test::any_thread_stopped(t.pid()); ++i) std::this_thread::sleep_for(10ms);
    BOOST_TEST(!dbg::test::any_thread_stopped(t.pid()));
  }
}

BOOST_AUTO_TEST_CASE(a_full_queue_answers_503_with_retry_after_and_stores_nothing) {
  NamedTargets targets("fq", {1, 1, 1});
  TempDir data;
  Server server(data.path(), {"--max-queue", "2"});
  auto r = server.request("POST", "/api/v1/sessions", R"({"targets":{"match":"^)" + targets.name + R"($"}})");
  BOOST_TEST(r.status == 503);
  BOOST_TEST(r.header("retry-after") == "1");
  BOOST_TEST(r.header("content-type") == "application/problem+json");
  BOOST_TEST(server.get_json("/api/v1/sessions").at("sessions").empty());
  // Two targets fit.
  auto ok = server.request("POST", "/api/v1/sessions", R"({"targets":{"pids":[)" + std::to_string(targets.children[0].pid()) +
                                                           "," + std::to_string(targets.children[1].pid()) + "]}}");
  BOOST_TEST(ok.status == 202);
}
