// Crash watches end to end: the real dbgcoord, its real `dbg-worker watch`, real crashers, the
// real SQLite file. A watched process dies exactly as without the watch (this test is its
// parent), the crash arrives on the WebSocket, match watches catch processes started later,
// bad input changes nothing, a killed watcher is replaced and its watches re-established, and
// watches survive a coordinator restart.
#define BOOST_TEST_MODULE coordinator_watch
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "coordinator_test_client.hpp"
#include "test_support.hpp"
#include "zombie_check.hpp"

using namespace dbg::coord::test;
using dbg::test::ChildProcess;
using nlohmann::json;

namespace {

struct Server {
  Coordinator c;
  std::string token;
  explicit Server(const std::filesystem::path& data_dir)
      : c(start_coordinator({"--listen", "127.0.0.1:0", "--data-dir", data_dir.string()})),
        token(read_trimmed_file(data_dir / "token")) {}
  HttpReply request(const std::string& method, const std::string& target, const std::string& body = {}) {
    HttpConnection conn(c.port);
    std::vector<std::string> headers{"Connection: close", "Authorization: Bearer " + token};
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
  void stop() {
    c.process.signal(SIGTERM);
    BOOST_REQUIRE(c.process.wait(30s));
  }
};

class EventClient {
 public:
  EventClient(int port, const std::string& token, const std::string& topics) : ws_(ioc_) {
    boost::asio::ip::tcp::resolver resolver(ioc_);
    boost::asio::connect(ws_.next_layer(), resolver.resolve("127.0.0.1", std::to_string(port)));
    ws_.handshake("127.0.0.1:" + std::to_string(port), "/api/v1/events?token=" + token + "&topics=" + topics);
  }
  json next() {
    boost::beast::flat_buffer buffer;
    ws_.read(buffer);
    return json::parse(boost::beast::buffers_to_string(buffer.data()));
  }
  // The next event of this type (others skipped), for pid when pid > 0.
  json wait_for(const std::string& type, int pid = 0) {
    for (int i = 0; i < 10000; ++i) {
      auto e = next();
      if (e.at("type") == type && (pid == 0 || e.at("data").value("pid", 0) == pid)) return e;
    }
    BOOST_FAIL("no " << type << " event");
    return nullptr;
  }

 private:
  boost::asio::io_context ioc_;
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
};

ChildProcess start_crasher(const std::string& path, const std::string& mode) {
  ChildProcess child(std::vector<std::string>{path, mode});
  BOOST_REQUIRE(child.wait_for_line("ready", 10s));
  return child;
}

int unwatched_status(const std::string& path, const std::string& mode) {
  auto child = start_crasher(path, mode);
  BOOST_REQUIRE(child.write_stdin("go\n"));
  auto status = child.wait(60s);
  BOOST_REQUIRE(status);
  return *status;
}

pid_t tracer_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("TracerPid:", 0) == 0) return std::stoi(line.substr(10));
  }
  return -1;
}

// Rows of the watches table, read from the real database file.
int64_t count_watch_rows(const std::filesystem::path& db, const std::string& where = "1") {
  sqlite3* handle = nullptr;
  BOOST_REQUIRE(sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  std::string sql = "SELECT count(*) FROM watches WHERE " + where;
  BOOST_REQUIRE(sqlite3_prepare_v2(handle, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  BOOST_REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  int64_t n = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(handle);
  return n;
}

// Polls GET /watches/{id} until pred holds (the watcher works asynchronously).
json wait_watch(Server& server, const std::string& id, const std::function<bool(const json&)>& pred) {
  for (int i = 0; i < 3000; ++i) {
    auto w = server.get_json("/api/v1/watches/" + id);
    if (pred(w)) return w;
    std::this_thread::sleep_for(20ms);
  }
  BOOST_FAIL("watch " << id << " never reached the expected state");
  return nullptr;
}

}  // namespace

BOOST_AUTO_TEST_CASE(watch_by_pid_crash_arrives_on_the_websocket_and_the_parent_sees_the_same_status) {
  std::string crasher = dbg::test::target_path("crasher_O0");
  int baseline = unwatched_status(crasher, "null");
  TempDir data;
  Server server(data.path());
  EventClient events(server.c.port, server.token, "watch");
  auto child = start_crasher(crasher, "null");

  auto created = server.request("POST", "/api/v1/watches", json{{"pid", child.pid()}}.dump());
  BOOST_REQUIRE_MESSAGE(created.status == 201, created.body);
  auto watch = json::parse(created.body);
  BOOST_TEST(watch.at("pid") == child.pid());
  BOOST_TEST(watch.at("status") == "active");
  std::string id = watch.at("id");
  BOOST_TEST(created.header("location") == "/api/v1/watches/" + id);
  BOOST_TEST(tracer_of(child.pid()) == server.get_json("/api/v1/watches").at("watcher_pid").get<int>());

  BOOST_REQUIRE(child.write_stdin("go\n"));
  auto crash = events.wait_for("crash", child.pid());
  const auto& d = crash.at("data");
  BOOST_TEST(d.at("watch_id") == id);
  BOOST_TEST(d.at("type") == "SIGSEGV/SEGV_MAPERR");
  BOOST_TEST(d.at("frames").at(0).at("function") == "store_through");
  BOOST_TEST(d.at("context").at("fault").at("class") == "null_page");
  auto ended = events.wait_for("watch_ended", child.pid());
  BOOST_TEST(ended.at("data").at("reason") == "crashed");

  auto status = child.wait(60s);
  BOOST_REQUIRE(status);
  BOOST_TEST(*status == baseline);
  auto after = wait_watch(server, id, [](const json& w) { return w.at("status") == "ended"; });
  BOOST_TEST(after.at("crashes") == 1);
  BOOST_TEST(after.at("ended_reason") == "crashed");
  // The end is saved by the store's writer after the event: poll the file.
  auto ended_rows = [&] { return count_watch_rows(data.path() / "dbgcoord.db", "id = '" + id + "' AND status = 'ended'"); };
  for (int i = 0; i < 3000 && ended_rows() != 1; ++i) std::this_thread::sleep_for(10ms);
  BOOST_TEST(ended_rows() == 1);

  auto deleted = server.request("DELETE", "/api/v1/watches/" + id);
  BOOST_TEST(deleted.status == 200);
  BOOST_TEST(server.request("GET", "/api/v1/watches/" + id).status == 404);
  BOOST_TEST(count_watch_rows(data.path() / "dbgcoord.db") == 0);
}

BOOST_AUTO_TEST_CASE(watch_by_regex_catches_a_process_started_afterwards) {
  TempDir dir;
  std::string name = "wrx" + std::to_string(::getpid() % 100000);
  auto link = dir.path() / name;
  std::filesystem::create_symlink(dbg::test::target_path("crasher_O0"), link);
  TempDir data;
  Server server(data.path());
  EventClient events(server.c.port, server.token, "watch");
  auto created = server.request("POST", "/api/v1/watches", json{{"match", "^" + name + "$"}}.dump());
  BOOST_REQUIRE_MESSAGE(created.status == 201, created.body);
  auto watch = json::parse(created.body);
  BOOST_TEST(watch.at("match") == "^" + name + "$");
  BOOST_TEST(watch.at("status") == "active");

  auto child = start_crasher(link.string(), "exit3");  // started after the watch
  auto attached = events.wait_for("watch_attached", child.pid());
  BOOST_TEST(attached.at("data").at("watch_id") == watch.at("id"));
  BOOST_REQUIRE(child.write_stdin("go\n"));
  auto exit_event = events.wait_for("exit", child.pid());
  BOOST_TEST(exit_event.at("data").at("status") == 3);
  BOOST_TEST(exit_event.at("data").at("type") == "exit/3");
  auto status = child.wait(60s);
  BOOST_REQUIRE(status);
  BOOST_TEST(WIFEXITED(*status));
  BOOST_TEST(WEXITSTATUS(*status) == 3);
  // The match watch stays, waiting for the next one.
  auto after = server.get_json("/api/v1/watches/" + watch.at("id").get<std::string>());
  BOOST_TEST(after.at("status") == "active");
  BOOST_TEST(after.at("exits") == 1);
}

BOOST_AUTO_TEST_CASE(bad_input_is_refused_and_nothing_is_stored) {
  TempDir data;
  Server server(data.path());
  pid_t dead = 0;
  {
    ChildProcess gone(std::vector<std::string>{"/bin/true"});
    BOOST_REQUIRE(gone.wait(10s));
    dead = gone.pid();
  }
  struct Case {
    std::string body;
    int status;
  } cases[] = {
      {json{{"pid", 1}}.dump(), 403},
      {json{{"pid", dead}}.dump(), 404},
      {json{{"pid", 999999999}}.dump(), 404},
      {json{{"pid", ::getpid()}, {"options", {{"max_depth", 0}}}}.dump(), 400},
      {json{{"pid", ::getpid()}, {"options", {{"colour", 1}}}}.dump(), 400},
      {json{{"match", "(unclosed"}}.dump(), 400},
      {json{{"match", ""}}.dump(), 400},
      {json{{"pid", 1}, {"match", "x"}}.dump(), 400},
      {json{{"pid", "12"}}.dump(), 400},
      {json{{"flavour", "x"}}.dump(), 400},
      {"not json", 400},
      {"[1,2]", 400},
  };
  for (const auto& c : cases) {
    auto r = server.request("POST", "/api/v1/watches", c.body);
    BOOST_TEST_INFO(c.body << " -> " << r.status << " " << r.body);
    BOOST_TEST(r.status == c.status);
    BOOST_TEST(r.header("content-type") == "application/problem+json");
  }
  // No watch yet, so no watcher process either.
  BOOST_TEST(server.get_json("/api/v1/watches").at("watcher_pid") == 0);
  // The coordinator itself and its watcher are never targets; a second watch of a pid is 409.
  BOOST_TEST(server.request("POST", "/api/v1/watches", json{{"pid", server.c.process.pid()}}.dump()).status == 403);
  auto victim = start_crasher(dbg::test::target_path("crasher_O0"), "exit3");
  auto first = server.request("POST", "/api/v1/watches", json{{"pid", victim.pid()}}.dump());
  BOOST_REQUIRE_MESSAGE(first.status == 201, first.body);
  BOOST_TEST(server.request("POST", "/api/v1/watches", json{{"pid", victim.pid()}}.dump()).status == 409);
  auto watcher = server.get_json("/api/v1/watches").at("watcher_pid").get<int>();
  BOOST_TEST(watcher > 0);
  BOOST_TEST(read_trimmed_file("/proc/" + std::to_string(watcher) + "/comm") == "dbg-watcher");
  BOOST_TEST(server.request("POST", "/api/v1/watches", json{{"pid", watcher}}.dump()).status == 403);
  BOOST_TEST(server.request("DELETE", "/api/v1/watches/" + json::parse(first.body).at("id").get<std::string>()).status == 200);
  BOOST_TEST(server.request("DELETE", "/api/v1/watches/w-nope").status == 404);
  BOOST_TEST(server.get_json("/api/v1/watches").at("watches").empty());
  server.stop();
  BOOST_TEST(count_watch_rows(data.path() / "dbgcoord.db") == 0);
}

BOOST_AUTO_TEST_CASE(a_killed_watcher_is_replaced_and_its_watches_re_established) {
  std::string crasher = dbg::test::target_path("crasher_O0");
  int baseline = unwatched_status(crasher, "abort");
  TempDir data;
  Server server(data.path());
  EventClient events(server.c.port, server.token, "watch");
  auto child = start_crasher(crasher, "abort");
  auto created = server.request("POST", "/api/v1/watches", json{{"pid", child.pid()}}.dump());
  BOOST_REQUIRE_MESSAGE(created.status == 201, created.body);
  int old_watcher = server.get_json("/api/v1/watches").at("watcher_pid");
  BOOST_REQUIRE(old_watcher > 0);
  BOOST_TEST(tracer_of(child.pid()) == old_watcher);

  BOOST_REQUIRE(::kill(old_watcher, SIGKILL) == 0);
  auto restarted = events.wait_for("watcher_restarted");
  int new_watcher = restarted.at("data").at("worker_pid");
  BOOST_TEST(new_watcher != old_watcher);
  BOOST_TEST(restarted.at("data").at("rewatched") == 1);
  // Re-seized by the new watcher (the add is asynchronous: poll /proc).
  for (int i = 0; i < 3000 && tracer_of(child.pid()) != new_watcher; ++i) std::this_thread::sleep_for(10ms);
  BOOST_TEST(tracer_of(child.pid()) == new_watcher);
  // The killed watcher was reaped, not left a zombie of dbgcoord.
  require_no_zombie_children(server.c.process.pid());

  BOOST_REQUIRE(child.write_stdin("go\n"));
  auto crash = events.wait_for("crash", child.pid());
  BOOST_TEST(crash.at("data").at("type") == "SIGABRT/SI_TKILL");
  auto status = child.wait(60s);
  BOOST_REQUIRE(status);
  BOOST_TEST(*status == baseline);
}

BOOST_AUTO_TEST_CASE(watches_survive_a_coordinator_restart) {
  std::string crasher = dbg::test::target_path("crasher_O0");
  TempDir data;
  auto child = start_crasher(crasher, "exit3");
  std::string pid_watch, match_watch;
  {
    Server server(data.path());
    auto a = server.request("POST", "/api/v1/watches", json{{"pid", child.pid()}}.dump());
    BOOST_REQUIRE_MESSAGE(a.status == 201, a.body);
    pid_watch = json::parse(a.body).at("id");
    auto b = server.request("POST", "/api/v1/watches", json{{"match", "^no-such-process-name$"}}.dump());
    BOOST_REQUIRE_MESSAGE(b.status == 201, b.body);
    match_watch = json::parse(b.body).at("id");
    server.stop();
  }
  // Stopping the coordinator released the target, running.
  BOOST_TEST(tracer_of(child.pid()) == 0);
  BOOST_TEST(!dbg::test::any_thread_stopped(child.pid()));

  Server server(data.path());
  auto list = server.get_json("/api/v1/watches").at("watches");
  BOOST_TEST(list.size() == 2u);
  auto w = wait_watch(server, pid_watch, [&](const json& j) { return j.at("pids").size() == 1u; });
  BOOST_TEST(w.at("status") == "active");
  BOOST_TEST(w.at("pids").at(0) == child.pid());
  BOOST_TEST(tracer_of(child.pid()) == server.get_json("/api/v1/watches").at("watcher_pid").get<int>());
  BOOST_TEST(server.get_json("/api/v1/watches/" + match_watch).at("status") == "active");

  EventClient events(server.c.port, server.token, "watch");
  BOOST_REQUIRE(child.write_stdin("go\n"));
  auto exit_event = events.wait_for("exit", child.pid());
  BOOST_TEST(exit_event.at("data").at("watch_id") == pid_watch);
  auto status = child.wait(60s);
  BOOST_REQUIRE(status);
  BOOST_TEST(WEXITSTATUS(*status) == 3);
}
