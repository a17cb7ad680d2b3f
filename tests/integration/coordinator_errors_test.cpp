// Error groups end to end: a real dbgcoord on a loopback port, events POSTed over real sockets,
// groups read back through the API and straight from the SQLite file; a restart; bad input
// refused with 4xx and nothing stored; hub events on the WebSocket.
#define BOOST_TEST_MODULE coordinator_errors
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sqlite3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "coordinator_test_client.hpp"
#include "test_support.hpp"

using namespace dbg::coord::test;
using nlohmann::json;

namespace {

struct Server {
  std::filesystem::path data_dir;
  Coordinator c;
  std::string token;
  explicit Server(const std::filesystem::path& dir)
      : data_dir(dir), c(start_coordinator_in(dir)), token(read_trimmed_file(dir / "token")) {}
  HttpReply request(const std::string& method, const std::string& target, const std::string& body = {}) {
    HttpConnection conn(c.port);
    std::vector<std::string> headers{"Connection: close", "Authorization: Bearer " + token};
    if (!body.empty()) headers.push_back("Content-Type: application/json");
    conn.send_request(method, target, body, headers);
    auto r = conn.read_response(60s);
    if (!r) throw std::runtime_error("no response to " + method + " " + target);
    return *r;
  }
  json ok_json(const std::string& method, const std::string& target, const std::string& body = {}, int want = 200) {
    auto r = request(method, target, body);
    BOOST_REQUIRE_MESSAGE(r.status == want, method << " " << target << " -> " << r.status << " " << r.body);
    return json::parse(r.body);
  }
  json post_events(const json& body) { return ok_json("POST", "/api/v1/errors/events", body.dump(), 201); }
  json groups(const std::string& query = "") { return ok_json("GET", "/api/v1/errors" + query).at("groups"); }
  void stop() {
    c.process.signal(SIGTERM);
    BOOST_REQUIRE_EQUAL(exit_code_of(c.process.wait(20s)), 0);
  }
};

// One value from the SQLite file, read with our own connection (the oracle).
int64_t db_int(const std::filesystem::path& dir, const std::string& sql) {
  sqlite3* db = nullptr;
  auto file = dir / "dbgcoord.db";
  BOOST_REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  BOOST_REQUIRE_MESSAGE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK, sqlite3_errmsg(db));
  int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

json frame(const std::string& function, const std::string& offset, int line) {
  return json{{"function", function}, {"module", "shop"}, {"offset", offset}, {"file", "/src/shop/cart.cpp"}, {"line", line}};
}

// An uncaught-exception report the way a C++ service would send it: the throw machinery on top.
json event_at(const std::string& site, int line = 42) {
  return json{{"type", "std::out_of_range"},
              {"message", "vector::_M_range_check: __n (which is 7) >= this->size() (which is 3)"},
              {"pid", 31337},
              {"comm", "shop"},
              {"frames",
               json::array({json{{"function", "__cxa_throw"}, {"module", "libstdc++.so.6"}, {"offset", "0xad218"}},
                            json{{"function", "std::__throw_out_of_range_fmt(char const*, ...)"},
                                 {"module", "libstdc++.so.6"},
                                 {"offset", "0xa5f0e"}},
                            frame(site, "0x2410", line), frame("shop::Server::handle(shop::Request const&)", "0x3000", 90),
                            frame("main", "0x3100", 120)})},
              {"context", json{{"request_id", "r-1"}}}};
}

json recursion_event(int depth) {
  auto frames = json::array({frame("shop::Tree::crash_at_leaf()", "0x5000", 10)});
  for (int i = 0; i < depth; ++i) frames.push_back(frame("shop::Tree::walk(shop::Node const*, int)", "0x5100", 20));
  frames.push_back(frame("main", "0x3100", 120));
  return json{{"type", "SIGSEGV/SEGV_MAPERR"}, {"message", "invalid read at 0x8"}, {"frames", frames}};
}

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

 private:
  boost::asio::io_context ioc_;
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(the_same_error_posted_50_times_is_one_group_of_50) {
  TempDir dir;
  Server server(dir.path());
  std::set<int64_t> ids;
  for (int i = 0; i < 50; ++i) {
    auto r = server.post_events(event_at("shop::Cart::item_at(unsigned long)", 40 + i % 3));
    BOOST_TEST(r.at("accepted") == 1);
    ids.insert(r.at("group_ids").at(0).get<int64_t>());
  }
  BOOST_TEST(ids.size() == 1u);
  auto groups = server.groups();
  BOOST_REQUIRE_EQUAL(groups.size(), 1u);
  const auto& g = groups[0];
  BOOST_TEST(g.at("count") == 50);
  BOOST_TEST(g.at("id").get<int64_t>() == *ids.begin());
  BOOST_TEST(g.at("status") == "open");
  BOOST_TEST(g.at("type") == "std::out_of_range");
  // class/confidence belong to the error analysis, which sets them in the background after the
  // group's first COMMIT: null until then (coordinator_analysis_test checks the values).
  BOOST_TEST((g.at("class").is_null() || g.at("class").is_string()));
  BOOST_TEST((g.at("confidence").is_null() || g.at("confidence").is_number()));
  BOOST_TEST(g.at("first_seen").get<int64_t>() <= g.at("last_seen").get<int64_t>());
  BOOST_TEST(g.at("frames").size() == 5u);
  BOOST_TEST(g.at("signature_frames")[0] == "shop!shop::Cart::item_at");
  // Acknowledged means committed: the file says the same.
  BOOST_TEST(db_int(dir.path(), "SELECT count(*) FROM error_events") == 50);
  BOOST_TEST(db_int(dir.path(), "SELECT count(*) FROM error_groups") == 1);
  BOOST_TEST(db_int(dir.path(), "SELECT count FROM error_groups") == 50);

  // The tool's own account of it: 50 events in one group, and of the three frames texts sent
  // (three lines), each parsed once and skipped by the parser after that.
  auto stats = server.ok_json("GET", "/api/v1/stats");
  BOOST_TEST(stats.at("error_dedup_ratio").get<double>() == 50.0);
  BOOST_TEST(stats.at("error_groups").at("events") == 50);
  const auto& errors = stats.at("errors");
  BOOST_TEST(errors.at("events_recorded") == 50);
  BOOST_TEST(errors.at("events_failed") == 0);
  BOOST_TEST(errors.at("groups_created") == 1);
  BOOST_TEST(errors.at("stack_memo").at("misses") == 3);
  BOOST_TEST(errors.at("stack_memo").at("hits") == 47);
  BOOST_TEST(errors.at("stack_memo").at("entries") == 3);
  BOOST_TEST(errors.at("stack_memo").at("bytes").get<int64_t>() > 0);
  auto metrics = server.request("GET", "/metrics");
  BOOST_REQUIRE_EQUAL(metrics.status, 200);
  BOOST_TEST(metrics.body.find("\ndbgcoord_error_events_total 50\n") != std::string::npos);
  BOOST_TEST(metrics.body.find("\ndbgcoord_error_stack_memo_hits_total 47\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(two_sites_give_two_groups_and_recursion_depths_one) {
  TempDir dir;
  Server server(dir.path());
  auto a = server.post_events(event_at("shop::Cart::item_at(unsigned long)")).at("group_ids")[0];
  auto b = server.post_events(event_at("shop::Cart::remove(unsigned long)")).at("group_ids")[0];
  BOOST_TEST(a != b);
  auto batch = json{{"events", json::array({recursion_event(2), recursion_event(9), recursion_event(60)})}};
  auto r = server.post_events(batch);
  BOOST_TEST(r.at("accepted") == 3);
  BOOST_TEST(r.at("group_ids")[0] == r.at("group_ids")[1]);
  BOOST_TEST(r.at("group_ids")[0] == r.at("group_ids")[2]);
  BOOST_TEST(server.groups().size() == 3u);
  auto one = server.ok_json("GET", "/api/v1/errors/" + std::to_string(r.at("group_ids")[0].get<int64_t>()));
  BOOST_TEST(one.at("count") == 3);
  BOOST_TEST(one.at("events").size() == 3u);
}

BOOST_AUTO_TEST_CASE(resolve_then_recur_reopens_and_filters_follow) {
  TempDir dir;
  Server server(dir.path());
  auto id = server.post_events(event_at("shop::Cart::item_at(unsigned long)")).at("group_ids")[0].get<int64_t>();
  const std::string path = "/api/v1/errors/" + std::to_string(id);
  auto patched = server.ok_json("PATCH", path, R"({"status":"resolved"})");
  BOOST_TEST(patched.at("status") == "resolved");
  BOOST_TEST(server.groups("?status=resolved").size() == 1u);
  BOOST_TEST(server.groups("?status=open").empty());
  server.post_events(event_at("shop::Cart::item_at(unsigned long)"));
  auto group = server.ok_json("GET", path);
  BOOST_TEST(group.at("status") == "open");
  BOOST_TEST(group.at("regressions") == 1);
  BOOST_TEST(group.at("count") == 2);
  BOOST_TEST(group.at("events")[0].at("context").at("request_id") == "r-1");
  BOOST_TEST(server.groups("?status=open").size() == 1u);
  BOOST_TEST(server.groups("?class=crash").empty());  // no classifier yet: class is null
  const int64_t future = group.at("last_seen").get<int64_t>() + 1;
  BOOST_TEST(server.groups("?since=" + std::to_string(future)).empty());
  BOOST_TEST(server.groups("?since=" + std::to_string(future - 1)).size() == 1u);
  BOOST_TEST(db_int(dir.path(), "SELECT regressions FROM error_groups WHERE id = " + std::to_string(id)) == 1);
}

BOOST_AUTO_TEST_CASE(groups_survive_a_restart) {
  TempDir dir;
  int64_t id = 0;
  {
    Server server(dir.path());
    auto batch = json{{"events", json::array()}};
    for (int i = 0; i < 20; ++i) batch["events"].push_back(event_at("shop::Cart::item_at(unsigned long)"));
    id = server.post_events(batch).at("group_ids")[0].get<int64_t>();
    server.ok_json("PATCH", "/api/v1/errors/" + std::to_string(id), R"({"status":"ignored"})");
    server.stop();
  }
  Server again(dir.path());
  auto groups = again.groups();
  BOOST_REQUIRE_EQUAL(groups.size(), 1u);
  BOOST_TEST(groups[0].at("id") == id);
  BOOST_TEST(groups[0].at("count") == 20);
  BOOST_TEST(groups[0].at("status") == "ignored");
  BOOST_TEST(again.ok_json("GET", "/api/v1/errors/events").at("events").size() == 20u);
  // Counting goes on in the same group.
  BOOST_TEST(again.post_events(event_at("shop::Cart::item_at(unsigned long)")).at("group_ids")[0] == id);
  BOOST_TEST(again.ok_json("GET", "/api/v1/errors/" + std::to_string(id)).at("count") == 21);
}

BOOST_AUTO_TEST_CASE(a_batch_of_1000_is_taken_and_1001_refused) {
  TempDir dir;
  Server server(dir.path());
  auto small = json{{"type", "E"}, {"frames", json::array({frame("f", "0x1", 1)})}};
  auto batch = json{{"events", json::array()}};
  for (int i = 0; i < 1001; ++i) batch["events"].push_back(small);
  auto refused = server.request("POST", "/api/v1/errors/events", batch.dump());
  BOOST_TEST(refused.status == 400);
  BOOST_TEST(refused.body.find("at most 1000") != std::string::npos);
  BOOST_TEST(db_int(dir.path(), "SELECT count(*) FROM error_events") == 0);
  batch["events"].erase(batch["events"].size() - 1);
  auto r = server.post_events(batch);
  BOOST_TEST(r.at("accepted") == 1000);
  BOOST_TEST(r.at("group_ids").size() == 1000u);
  BOOST_TEST(db_int(dir.path(), "SELECT count(*) FROM error_events") == 1000);
}

BOOST_AUTO_TEST_CASE(bad_input_is_a_4xx_and_stores_nothing) {
  TempDir dir;
  Server server(dir.path());
  auto good = event_at("shop::Cart::item_at(unsigned long)");
  auto with = [&](const std::string& key, const json& value) {
    auto e = good;
    e[key] = value;
    return e.dump();
  };
  auto with_frame = [&](const std::string& key, const json& value) {
    auto e = good;
    e["frames"][2][key] = value;
    return e.dump();
  };
  auto bad_second = json{{"events", json::array({good, json{{"type", 12}}})}};
  const std::vector<std::pair<std::string, std::string>> bodies = {
      {"malformed JSON", "{\"type\": \"E\","},
      {"not an object", "[1,2]"},
      {"empty body", ""},
      {"no type", R"({"message":"m"})"},
      {"empty type", with("type", "")},
      {"type not a string", with("type", 5)},
      {"message not a string", with("message", json::array())},
      {"frames not an array", with("frames", "main")},
      {"frame not an object", with("frames", json::array({"main"}))},
      {"function not a string", with_frame("function", 7)},
      {"line not an integer", with_frame("line", "12")},
      {"negative line", with_frame("line", -1)},
      {"offset not hex", with_frame("offset", "12ab")},
      {"negative offset", with_frame("offset", -5)},
      {"inlined not a boolean", with_frame("inlined", "yes")},
      {"unknown frame field", with_frame("address", "0x1")},
      {"unknown event field", with("severity", "high")},
      {"pid not an integer", with("pid", "31337")},
      {"context not an object", with("context", "x")},
      {"timestamp negative", with("timestamp", -1)},
      {"events not an array", R"({"events":{}})"},
      {"empty batch", R"({"events":[]})"},
      {"batch with extra key", json{{"events", json::array({good})}, {"x", 1}}.dump()},
      {"one bad event refuses the batch", bad_second.dump()},
      {"too deep", std::string(40, '[') + std::string(40, ']')},
  };
  for (const auto& [what, body] : bodies) {
    BOOST_TEST_CONTEXT(what) {
      auto r = server.request("POST", "/api/v1/errors/events", body);
      BOOST_TEST(r.status == 400);
      BOOST_TEST(r.header("content-type") == "application/problem+json");
    }
  }
  auto many = good;
  many["frames"] = json::array();
  for (int i = 0; i < 257; ++i) many["frames"].push_back(frame("f", "0x1", 1));
  BOOST_TEST(server.request("POST", "/api/v1/errors/events", many.dump()).status == 400);

  // Queries and ids.
  BOOST_TEST(server.request("GET", "/api/v1/errors?status=closed").status == 400);
  BOOST_TEST(server.request("GET", "/api/v1/errors?stauts=open").status == 400);
  BOOST_TEST(server.request("GET", "/api/v1/errors?since=yesterday").status == 400);
  BOOST_TEST(server.request("GET", "/api/v1/errors?limit=0").status == 400);
  BOOST_TEST(server.request("GET", "/api/v1/errors/999").status == 404);
  BOOST_TEST(server.request("GET", "/api/v1/errors/abc").status == 404);
  BOOST_TEST(server.request("GET", "/api/v1/errors/-1").status == 404);
  BOOST_TEST(server.request("PATCH", "/api/v1/errors/999", R"({"status":"resolved"})").status == 404);
  BOOST_TEST(server.request("DELETE", "/api/v1/errors/1").status == 405);
  BOOST_TEST(db_int(dir.path(), "SELECT count(*) FROM error_events") == 0);
  BOOST_TEST(db_int(dir.path(), "SELECT count(*) FROM error_groups") == 0);

  // A bad PATCH leaves an existing group as it was.
  auto id = server.post_events(good).at("group_ids")[0].get<int64_t>();
  const std::string path = "/api/v1/errors/" + std::to_string(id);
  for (const std::string body : {R"({"status":"closed"})", R"({"status":1})", R"({"status":"resolved","x":1})", "{}",
                                 "not json", R"(["resolved"])"}) {
    BOOST_TEST_CONTEXT(body) { BOOST_TEST(server.request("PATCH", path, body).status == 400); }
  }
  BOOST_TEST(server.ok_json("GET", path).at("status") == "open");
  BOOST_TEST(db_int(dir.path(), "SELECT count(*) FROM error_groups WHERE status = 'open'") == 1);
  BOOST_TEST(db_int(dir.path(), "SELECT count(*) FROM error_events") == 1);
}

BOOST_AUTO_TEST_CASE(new_groups_and_count_changes_are_websocket_events) {
  TempDir dir;
  Server server(dir.path());
  EventClient events(server.c.port, server.token, "errors");
  auto id = server.post_events(event_at("shop::Cart::item_at(unsigned long)")).at("group_ids")[0];
  auto created = events.next();
  BOOST_TEST(created.at("topic") == "errors");
  BOOST_TEST(created.at("type") == "groups_created");
  BOOST_TEST(created.at("data").at("groups")[0].at("id") == id);
  BOOST_TEST(created.at("data").at("groups")[0].at("count") == 1);
  server.post_events(json{{"events", json::array({event_at("shop::Cart::item_at(unsigned long)"),
                                                  event_at("shop::Cart::item_at(unsigned long)")})}});
  auto updated = events.next();
  BOOST_TEST(updated.at("type") == "groups_updated");
  BOOST_TEST(updated.at("data").at("groups")[0].at("id") == id);
  BOOST_TEST(updated.at("data").at("groups")[0].at("count") == 3);
  server.ok_json("PATCH", "/api/v1/errors/" + std::to_string(id.get<int64_t>()), R"({"status":"resolved"})");
  auto status = events.next();
  BOOST_TEST(status.at("type") == "group_status");
  BOOST_TEST(status.at("data").at("status") == "resolved");
}
