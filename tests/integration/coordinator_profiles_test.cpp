// Profiles end to end: a real dbgcoord, real workers, a target with a known hot and cold
// function. The exports are checked by tools that are not ours: speedscope's own JSON schema
// (from the speedscope npm package, validated with Ajv) and the pprof-format npm decoder, both
// run with node (tests/js). Bad input is refused with 400 and stores nothing; a cancelled
// profile keeps what it collected; the SQLite file holds the profile.
#define BOOST_TEST_MODULE coordinator_profiles
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "coordinator_test_client.hpp"
#include "test_support.hpp"

using namespace dbg::coord::test;
using dbg::test::ChildProcess;
using nlohmann::json;

namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return s;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

struct Server {
  Coordinator c;
  std::string token;
  Server(const std::filesystem::path& data_dir, std::vector<std::string> extra = {})
      : c(start(data_dir, std::move(extra))), token(trimmed(read_file(data_dir / "token"))) {}
  static Coordinator start(const std::filesystem::path& data_dir, std::vector<std::string> extra) {
    std::vector<std::string> args{"--listen", "127.0.0.1:0", "--data-dir", data_dir.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return start_coordinator(args);
  }
  HttpReply request(const std::string& method, const std::string& target, const std::string& body = {}) {
    HttpConnection conn(c.port);
    std::vector<std::string> headers{"Connection: close", "Authorization: Bearer " + token};
    conn.send_request(method, target, body, headers);
    auto r = conn.read_response(60s);
    if (!r) throw std::runtime_error("no response to " + method + " " + target);
    return *r;
  }
  json get_json(const std::string& target) {
    auto r = request("GET", target);
    BOOST_REQUIRE_MESSAGE(r.status == 200, target << " -> " << r.status << " " << r.body);
    return json::parse(r.body);
  }
  json wait_session(const std::string& id, std::chrono::seconds timeout = 120s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto s = get_json("/api/v1/sessions/" + id);
      std::string status = s.at("status");
      bool targets_settled = true;
      for (const auto& b : s.at("batches"))
        for (const auto& t : b.at("targets")) targets_settled = targets_settled && t.at("status") != "running";
      if ((status == "done" || status == "cancelled" || status == "failed") && targets_settled) return s;
      BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "session " << id << " still " << status);
      std::this_thread::sleep_for(50ms);
    }
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

 private:
  boost::asio::io_context ioc_;
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
};

ChildProcess start_hotcold(const std::vector<std::string>& args) {
  std::vector<std::string> argv{dbg::test::target_path("profile_hotcold")};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess child(argv);
  BOOST_REQUIRE(child.wait_for_line("ready", 10s));
  return child;
}

// node SCRIPT FILE from tests/js, whose packages scripts/setup.sh installs (npm ci).
json run_js(const std::string& script, const std::filesystem::path& file, int expected_exit = 0) {
  const std::string dir = std::string(DBG_SOURCE_DIR) + "/tests/js";
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists(dir + "/node_modules/speedscope/package.json") &&
                            std::filesystem::exists(dir + "/node_modules/pprof-format/package.json"),
                        "tests/js/node_modules is missing: run scripts/setup.sh (it runs npm ci there)");
  auto r = dbg::test::run_command({"node", dir + "/" + script, file.string()});
  BOOST_REQUIRE_MESSAGE(r.exit_code == expected_exit, script << " exited " << r.exit_code << ": " << r.err << r.out);
  return json::parse(r.out);
}

// Folded text back into (stack -> count); throws on a malformed line.
std::map<std::string, uint64_t> parse_folded(const std::string& text) {
  std::map<std::string, uint64_t> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto space = line.rfind(' ');
    BOOST_REQUIRE_MESSAGE(space != std::string::npos && space > 0, "malformed folded line: " << line);
    out[line.substr(0, space)] += std::stoull(line.substr(space + 1));
  }
  return out;
}

// Whether a folded stack ("comm;outer;...;leaf") has `function` as one of its frames, the leaf
// included: a sample taken in profile_cold's own code ends in ";profile_cold" (pprof's inclusive
// counts those too).
bool holds(const std::string& stack, const std::string& function) {
  const std::string frame = ";" + function;
  return stack.find(frame + ";") != std::string::npos || stack.ends_with(frame);
}

int64_t count_rows(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  BOOST_REQUIRE(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  BOOST_REQUIRE_MESSAGE(sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK, sqlite3_errmsg(h));
  int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  sqlite3_close(h);
  return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_profile_session_exports_folded_speedscope_and_pprof_with_the_same_totals) {
  auto target = start_hotcold({"1", "2"});
  TempDir data;
  Server server(data.path());
  EventClient events(server.c.port, server.token, "profile");
  auto created = server.request("POST", "/api/v1/sessions",
                                R"({"kind":"profile","targets":{"pids":[)" + std::to_string(target.pid()) +
                                    R"(]},"options":{"hz":99,"duration_s":2,"max_overhead_pct":2,"max_depth":128,)"
                                    R"("sampler":"ptrace"}})");
  // The ptrace sampler, by name: its idle threads have samples too (the perf sampler, which only
  // samples CPU time, would leave the two sleeping threads out of the per-thread exports).
  BOOST_REQUIRE_MESSAGE(created.status == 202, created.body);
  std::string session_id = json::parse(created.body).at("id");
  auto done = server.wait_session(session_id);
  BOOST_REQUIRE_EQUAL(done.at("status"), "done");
  BOOST_TEST(done.at("kind") == "profile");
  const auto& t = done.at("batches").at(0).at("targets").at(0);
  BOOST_REQUIRE_MESSAGE(t.at("status") == "done", t.dump());
  int64_t profile_id = t.at("profile_id");
  BOOST_TEST(t.at("progress").at("samples").get<uint64_t>() > 0u);

  // Events: progress while it ran (a 2 s profile reports about once a second), then stored.
  bool progress = false, stored = false;
  while (!stored) {
    json e = events.next();
    BOOST_TEST(e.at("topic") == "profile");
    if (e.at("type") == "profile_progress") progress = true;
    if (e.at("type") == "profile_stored") {
      stored = true;
      BOOST_TEST(e.at("data").at("profile_id") == profile_id);
    }
  }
  BOOST_TEST(progress);

  json p = server.get_json("/api/v1/profiles/" + std::to_string(profile_id));
  const uint64_t samples = p.at("samples");
  BOOST_TEST_MESSAGE("samples " << samples << " hz_effective " << p["hz_effective"] << " overhead_pct " << p["overhead_pct"]);
  BOOST_REQUIRE_GT(samples, 40u);
  BOOST_TEST(p.at("session_id") == session_id);
  BOOST_TEST(p.at("pid") == target.pid());
  BOOST_TEST(p.at("threads").size() == 3u);
  BOOST_TEST(p.at("sampler") == "ptrace");  // the option reached the worker, the field the store
  BOOST_TEST(count_rows(data.path() / "dbgcoord.db", "SELECT count(*) FROM profiles WHERE id = " + std::to_string(profile_id) +
                                                          " AND samples = " + std::to_string(samples)) == 1);

  // Folded: parses back to the same total; the busy thread's samples are mostly profile_hot.
  auto folded_reply = server.request("GET", "/api/v1/profiles/" + std::to_string(profile_id) + "?format=folded");
  BOOST_REQUIRE_EQUAL(folded_reply.status, 200);
  auto folded = parse_folded(folded_reply.body);
  uint64_t folded_total = 0, hot = 0, cold = 0, busy = 0;
  for (const auto& [stack, count] : folded) {
    folded_total += count;
    BOOST_TEST(stack.rfind("profile_hotcol", 0) == 0u, stack);  // rooted at the comm
    if (holds(stack, "busy_loop")) busy += count;
    if (holds(stack, "profile_hot")) hot += count;
    if (holds(stack, "profile_cold")) cold += count;
  }
  BOOST_TEST(folded_total == samples);
  BOOST_TEST_MESSAGE("busy " << busy << " hot " << hot << " cold " << cold);
  BOOST_TEST(hot >= busy * 75 / 100);
  BOOST_TEST(cold <= busy * 20 / 100);
  auto by_thread = parse_folded(server.request("GET", "/api/v1/profiles/" + std::to_string(profile_id) + "?format=folded&group=thread").body);
  uint64_t by_thread_total = 0;
  for (const auto& [stack, count] : by_thread) by_thread_total += count;
  BOOST_TEST(by_thread_total == samples);
  BOOST_TEST(by_thread.size() >= folded.size());
  auto one = parse_folded(server.request("GET", "/api/v1/profiles/" + std::to_string(profile_id) + "?format=folded&thread=" +
                                                    std::to_string(target.pid())).body);
  uint64_t one_total = 0, one_busy = 0;
  for (const auto& [stack, count] : one) {
    one_total += count;
    if (holds(stack, "busy_loop")) one_busy += count;
    BOOST_TEST(stack.find("sleep_forever") == std::string::npos);
  }
  // Only the main thread runs busy_loop, so the thread filter keeps every one of its samples.
  // The main thread may also have been sampled just before it entered the loop (returning from
  // printf after "ready"): those are the main thread's too, not busy.
  BOOST_TEST(one_busy == busy);
  BOOST_TEST(one_total - one_busy <= std::max<uint64_t>(2, one_total / 50));

  // speedscope: valid against the schema speedscope itself ships; same totals.
  auto ss = server.request("GET", "/api/v1/profiles/" + std::to_string(profile_id) + "?format=speedscope");
  BOOST_REQUIRE_EQUAL(ss.status, 200);
  BOOST_TEST(ss.header("content-type").find("application/json") == 0u);
  TempDir files;
  std::ofstream(files.path() / "p.speedscope.json", std::ios::binary) << ss.body;
  json ssv = run_js("validate_speedscope.js", files.path() / "p.speedscope.json");
  BOOST_TEST(ssv.at("valid") == true);
  BOOST_TEST(ssv.at("profiles").at(0).at("total") == samples);
  BOOST_TEST(ssv.at("profiles").size() == 4u);  // merged + 3 threads
  uint64_t per_thread = 0;
  for (size_t i = 1; i < ssv.at("profiles").size(); ++i) per_thread += ssv.at("profiles").at(i).at("total").get<uint64_t>();
  BOOST_TEST(per_thread == samples);
  BOOST_TEST(ssv.at("profiles").at(0).at("inclusive").at("profile_hot").get<uint64_t>() == hot);

  // pprof: decoded by an independent implementation to the same totals and function names.
  auto pb = server.request("GET", "/api/v1/profiles/" + std::to_string(profile_id) + "?format=pprof");
  BOOST_REQUIRE_EQUAL(pb.status, 200);
  BOOST_REQUIRE_GT(pb.body.size(), 2u);
  BOOST_TEST((static_cast<unsigned char>(pb.body[0]) == 0x1f && static_cast<unsigned char>(pb.body[1]) == 0x8b));  // gzip
  std::ofstream(files.path() / "p.pb.gz", std::ios::binary) << pb.body;
  json pv = run_js("decode_pprof.js", files.path() / "p.pb.gz");
  BOOST_TEST(pv.at("sample_types") == json::parse(R"([["samples","count"],["cpu","nanoseconds"]])"));
  BOOST_TEST(pv.at("period_type") == json::parse(R"(["cpu","nanoseconds"])"));
  BOOST_TEST(pv.at("period").get<int64_t>() > 0);
  BOOST_TEST(pv.at("totals").at(0).get<uint64_t>() == samples);
  uint64_t cpu_ns = 0;
  for (const auto& c : p.at("counts")) cpu_ns += c.at(3).get<uint64_t>();
  BOOST_TEST(pv.at("totals").at(1).get<uint64_t>() == cpu_ns);
  BOOST_TEST(pv.at("inclusive").at("profile_hot").get<uint64_t>() == hot);
  BOOST_TEST(pv.at("inclusive").at("profile_cold").get<uint64_t>() == cold);
  bool hot_with_file = false;
  for (const auto& f : pv.at("functions"))
    if (f.at("name") == "profile_hot") hot_with_file = f.at("filename").get<std::string>().find("profile_hotcold.c") != std::string::npos;
  BOOST_TEST(hot_with_file);
  bool exe_mapping = false;
  for (const auto& m : pv.at("mappings"))
    if (m.at("filename").get<std::string>().find("profile_hotcold") != std::string::npos) exe_mapping = !m.at("build_id").get<std::string>().empty();
  BOOST_TEST(exe_mapping);
  BOOST_TEST(pv.at("locations_with_lines") == pv.at("locations"));
  BOOST_TEST(pv.at("labels") == json::parse(R"(["thread","thread_id"])"));
}

BOOST_AUTO_TEST_CASE(bad_profile_input_is_refused_with_400_and_stores_nothing) {
  auto target = start_hotcold({"1", "0"});
  TempDir data;
  Server server(data.path(), {"--max-profile-duration", "5"});
  const std::string pids = R"("targets":{"pids":[)" + std::to_string(target.pid()) + "]}";
  struct Case {
    std::string options;
    std::string says;
  };
  const Case cases[] = {
      {R"({"hz":0})", "hz must be an integer in 1..1000"},
      {R"({"hz":1001})", "hz must be an integer in 1..1000"},
      {R"({"duration_s":6})", "maximum of 5 s"},
      {R"({"duration_s":0})", "duration_s must be"},
      {R"({"max_overhead_pct":0})", "max_overhead_pct"},
      {R"({"hz":99,"colour":"red"})", "unknown profile option \"colour\""},
      {R"({"sampler":"dtrace"})", "sampler must be \"auto\", \"perf\" or \"ptrace\""},
  };
  for (const auto& c : cases) {
    auto r = server.request("POST", "/api/v1/sessions", R"({"kind":"profile",)" + pids + R"(,"options":)" + c.options + "}");
    BOOST_TEST_INFO(c.options);
    BOOST_TEST(r.status == 400);
    BOOST_TEST(r.header("content-type").find("application/problem+json") == 0u);
    BOOST_TEST(json::parse(r.body).at("detail").get<std::string>().find(c.says) != std::string::npos, r.body);
  }
  auto unknown_format = server.request("GET", "/api/v1/profiles/1?format=svg");
  BOOST_TEST(unknown_format.status == 400);
  BOOST_TEST(json::parse(unknown_format.body).at("detail").get<std::string>().find("unknown format \"svg\"") != std::string::npos,
             unknown_format.body);
  BOOST_TEST(server.request("GET", "/api/v1/profiles/abc").status == 400);
  BOOST_TEST(server.request("GET", "/api/v1/profiles/1?thread=x").status == 400);
  BOOST_TEST(server.request("GET", "/api/v1/profiles/1?group=thread&format=pprof").status == 400);
  BOOST_TEST(server.request("GET", "/api/v1/profiles/1?fromat=pprof").status == 400);
  BOOST_TEST(server.request("GET", "/api/v1/profiles/999").status == 404);
  BOOST_TEST(server.get_json("/api/v1/sessions").at("sessions").empty());
  BOOST_TEST(count_rows(data.path() / "dbgcoord.db", "SELECT count(*) FROM sessions") == 0);
  BOOST_TEST(count_rows(data.path() / "dbgcoord.db", "SELECT count(*) FROM profiles") == 0);
}

BOOST_AUTO_TEST_CASE(cancelling_a_long_profile_keeps_what_it_collected) {
  auto target = start_hotcold({"1", "0"});
  TempDir data;
  Server server(data.path());
  EventClient events(server.c.port, server.token, "profile");
  auto created = server.request("POST", "/api/v1/sessions",
                                R"({"kind":"profile","targets":{"pids":[)" + std::to_string(target.pid()) +
                                    R"(]},"options":{"hz":99,"duration_s":120}})");
  BOOST_REQUIRE_MESSAGE(created.status == 202, created.body);
  std::string id = json::parse(created.body).at("id");
  // Wait for the worker to report samples, then cancel.
  for (;;) {
    json e = events.next();
    if (e.at("type") == "profile_progress" && e.at("data").at("samples").get<uint64_t>() > 0) {
      BOOST_TEST(e.at("data").at("session_id") == id);
      BOOST_TEST(e.at("data").contains("hz_effective"));
      BOOST_TEST(e.at("data").contains("overhead_pct"));
      break;
    }
  }
  auto live = server.get_json("/api/v1/sessions/" + id);
  BOOST_TEST(live.at("batches").at(0).at("targets").at(0).at("progress").at("samples").get<uint64_t>() > 0u);
  auto cancelled = server.request("DELETE", "/api/v1/sessions/" + id);
  BOOST_REQUIRE_MESSAGE(cancelled.status == 200, cancelled.body);
  auto s = server.wait_session(id, 60s);
  BOOST_TEST(s.at("status") == "cancelled");
  const auto& t = s.at("batches").at(0).at("targets").at(0);
  BOOST_REQUIRE_MESSAGE(t.at("status") == "done", t.dump());
  json p = server.get_json("/api/v1/profiles/" + std::to_string(t.at("profile_id").get<int64_t>()));
  BOOST_TEST(p.at("stop_reason") == "cancelled");
  BOOST_TEST(p.at("samples").get<uint64_t>() > 0u);
  BOOST_TEST(p.at("elapsed_s").get<double>() < 120.0);
}
