// Error analysis end to end: the real dbgcoord (its embedded model, or --model-file), real
// sockets, the real SQLite file, real crashers under a real watch. Real crashes get the right
// class through the API and the class filter; a crash family's sibling group ranks above
// another family in "similar"; the cache answers repeated reads and is invalidated by an event
// with other features; unknown and bad ids are 404 and 400; a corrupted model file leaves the
// coordinator running with every answer "unknown", confidence 0; /api/v1/stats and /metrics
// show the cache (and promtool accepts /metrics).
#define BOOST_TEST_MODULE coordinator_analysis
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <thread>

#include "coordinator_test_client.hpp"
#include "test_support.hpp"

using namespace dbg::coord::test;
using dbg::test::ChildProcess;
using nlohmann::json;

namespace {

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct Server {
  TempDir data;
  Coordinator c;
  std::string token;
  explicit Server(std::vector<std::string> extra = {})
      : c(start_coordinator([&] {
          std::vector<std::string> args{"--listen", "127.0.0.1:0", "--data-dir", data.path().string()};
          args.insert(args.end(), extra.begin(), extra.end());
          return args;
        }())) {
    token = read_text(data.path() / "token");
    while (!token.empty() && (token.back() == '\n' || token.back() == ' ')) token.pop_back();
  }

  HttpReply request(const std::string& method, const std::string& target, const std::string& body = {}) {
    HttpConnection conn(c.port);
    std::vector<std::string> headers{"Connection: close", "Authorization: Bearer " + token};
    if (!body.empty()) headers.push_back("Content-Type: application/json");
    conn.send_request(method, target, body, headers);
    auto r = conn.read_response(30s);
    if (!r) throw std::runtime_error("no response to " + method + " " + target);
    return *r;
  }
  json get(const std::string& target) {
    auto r = request("GET", target);
    BOOST_REQUIRE_MESSAGE(r.status == 200, target << " -> " << r.status << " " << r.body);
    return json::parse(r.body);
  }
  std::vector<int64_t> post_events(const json& events) {
    auto r = request("POST", "/api/v1/errors/events", json{{"events", events}}.dump());
    BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
    return json::parse(r.body).at("group_ids").get<std::vector<int64_t>>();
  }

  // Watches a crasher by pid, lets it crash, returns its wait status.
  int crash_once(const std::vector<std::string>& argv) {
    ChildProcess child(argv);
    BOOST_REQUIRE(child.wait_for_line("ready", 10s));
    auto watched = request("POST", "/api/v1/watches", json{{"pid", child.pid()}}.dump());
    BOOST_REQUIRE_MESSAGE(watched.status == 201, watched.body);
    BOOST_REQUIRE(child.write_stdin("go\n"));
    auto status = child.wait(60s);
    BOOST_REQUIRE(status);
    return *status;
  }
  // The group of the crash event of this type (crash events are stored asynchronously).
  json group_of_type(const std::string& type) {
    for (int i = 0; i < 1500; ++i) {
      const json list = get("/api/v1/errors?limit=100");  // kept: the loop walks into it
      for (const auto& g : list.at("groups"))
        if (g.at("type") == type) return g;
      std::this_thread::sleep_for(20ms);
    }
    BOOST_FAIL("no group of type " << type);
    return nullptr;
  }
};

json frames_of(std::initializer_list<const char*> functions) {
  auto frames = json::array();
  int offset = 0x1000;
  for (const char* f : functions) frames.push_back({{"function", f}, {"module", "shopd"}, {"offset", offset += 0x40}});
  return frames;
}

json event(const std::string& type, const std::string& message, json frames) {
  return {{"type", type}, {"message", message}, {"frames", std::move(frames)}};
}

bool is_problem(const HttpReply& r) { return r.header("content-type").find("application/problem+json") == 0; }

}  // namespace

BOOST_AUTO_TEST_CASE(real_crashes_get_their_class_through_the_api) {
  Server server;
  BOOST_TEST(WTERMSIG(server.crash_once({dbg::test::target_path("crasher_O2"), "null"})) == SIGSEGV);
  BOOST_TEST(WTERMSIG(server.crash_once({dbg::test::target_path("crasher_O2"), "assert"})) == SIGABRT);
  BOOST_TEST(WTERMSIG(server.crash_once({dbg::test::target_path("cxx_crasher")})) == SIGABRT);
  BOOST_TEST(WTERMSIG(server.crash_once({dbg::test::target_path("crasher_O2"), "divzero"})) == SIGFPE);

  const std::pair<const char*, const char*> expected[] = {{"SIGSEGV/SEGV_MAPERR", "null_dereference"},
                                                          {"SIGFPE/FPE_INTDIV", "division_by_zero"}};
  for (const auto& [type, cls] : expected) {
    const json g = server.group_of_type(type);
    const json detail = server.get("/api/v1/errors/" + std::to_string(g.at("id").get<int64_t>()));
    BOOST_TEST(detail.at("class") == cls, type);
    BOOST_TEST(detail.at("analysis").at("class") == cls);
    BOOST_TEST(detail.at("analysis").at("confidence").get<double>() > 0.5);
    BOOST_TEST(detail.at("analysis").at("model_version") == 1);
    BOOST_TEST(detail.at("analysis").at("response_us").get<double>() >= 0);
    BOOST_TEST(!detail.at("analysis").at("explanation").get<std::string>().empty());
  }
  // Both SIGABRT groups: told apart by their context (assert message vs C++ exception).
  std::map<std::string, std::string> abort_classes;
  for (int i = 0; i < 1500 && abort_classes.size() < 2; ++i) {
    abort_classes.clear();
    const json list = server.get("/api/v1/errors?limit=100");
    for (const auto& g : list.at("groups")) {
      if (g.at("type") != "SIGABRT/SI_TKILL") continue;
      auto a = server.get("/api/v1/errors/" + std::to_string(g.at("id").get<int64_t>()) + "/analysis");
      abort_classes[g.at("message").get<std::string>()] = a.at("class").get<std::string>();
    }
    if (abort_classes.size() < 2) std::this_thread::sleep_for(20ms);
  }
  BOOST_REQUIRE_EQUAL(abort_classes.size(), 2u);
  for (const auto& [message, cls] : abort_classes) {
    if (message.find("Assertion") != std::string::npos) {
      BOOST_TEST(cls == "assertion_failure", message);
    } else {
      BOOST_TEST(cls == "uncaught_exception", message);
    }
  }

  // The class is stored in error_groups: the list filter finds it.
  json listed;
  for (int i = 0; i < 500; ++i) {
    listed = server.get("/api/v1/errors?class=null_dereference").at("groups");
    if (!listed.empty()) break;
    std::this_thread::sleep_for(20ms);
  }
  BOOST_REQUIRE_EQUAL(listed.size(), 1u);
  BOOST_TEST(listed.at(0).at("type") == "SIGSEGV/SEGV_MAPERR");
  BOOST_TEST(listed.at(0).at("class") == "null_dereference");
  BOOST_TEST(listed.at(0).at("confidence").get<double>() > 0.5);
  BOOST_TEST(server.get("/api/v1/errors?class=stack_smashing").at("groups").empty());
}

BOOST_AUTO_TEST_CASE(a_crash_familys_sibling_ranks_above_another_family) {
  Server server;
  // Two families of one type: parsing bugs (shared read_request/serve_client path) and
  // rendering bugs. Each event its own group (the innermost frames differ).
  auto ids = server.post_events(json::array({
      event("std::runtime_error", "bad header", frames_of({"parse_header", "read_request", "serve_client", "worker_loop"})),
      event("std::runtime_error", "bad cookie", frames_of({"parse_cookie", "read_request", "serve_client", "worker_loop"})),
      event("std::runtime_error", "bad glyph", frames_of({"draw_glyph", "render_page", "paint_window", "ui_loop"})),
      event("std::runtime_error", "bad font", frames_of({"load_font", "render_page", "paint_window", "ui_loop"})),
  }));
  BOOST_REQUIRE_EQUAL(ids.size(), 4u);
  BOOST_REQUIRE_EQUAL(std::set<int64_t>(ids.begin(), ids.end()).size(), 4u);
  const json parse = server.get("/api/v1/errors/" + std::to_string(ids[0]));
  const json& similar = parse.at("similar");
  BOOST_REQUIRE(!similar.empty());
  BOOST_TEST(similar.size() <= 5u);
  BOOST_TEST(similar.at(0).at("id") == ids[1]);
  BOOST_TEST(similar.at(0).at("message") == "bad cookie");
  const double sibling = similar.at(0).at("score").get<double>();
  for (const auto& s : similar) {
    BOOST_TEST(s.at("id") != ids[0]);  // never itself
    if (s.at("id") == ids[2] || s.at("id") == ids[3]) BOOST_TEST(s.at("score").get<double>() < sibling);
  }
  // And the other way round.
  const json render = server.get("/api/v1/errors/" + std::to_string(ids[3]) + "/analysis");
  BOOST_REQUIRE(!render.at("similar").empty());
  BOOST_TEST(render.at("similar").at(0).at("id") == ids[2]);
  BOOST_TEST(render.at("id") == ids[3]);
}

BOOST_AUTO_TEST_CASE(repeated_reads_hit_the_cache_until_an_event_changes_the_features) {
  Server server;
  const json frames = frames_of({"settle_invoice", "close_month", "main"});
  const auto id = server.post_events(json::array({event("LedgerError", "balance mismatch", frames)})).at(0);
  const std::string path = "/api/v1/errors/" + std::to_string(id) + "/analysis";
  // The background may have analysed the new group already; after one read it is cached.
  server.get(path);
  const json second = server.get(path);
  BOOST_TEST(second.at("cached") == true);
  const json stats = server.get("/api/v1/stats");
  BOOST_TEST(stats.at("analysis").at("cache").at("hits").get<int>() >= 1);
  BOOST_TEST(stats.at("error_cache_hit_rate").get<double>() > 0);
  // Same group (same frames and type), a message with other words: other features. Whoever
  // looks first (the background analysis of the new event, or this read) finds the cached
  // analysis stale and drops it.
  BOOST_TEST(server.post_events(json::array({event("LedgerError", "journal locked by auditor", frames)})).at(0) == id);
  server.get(path);
  int invalidations = 0;
  for (int i = 0; i < 500 && invalidations == 0; ++i) {
    invalidations = server.get("/api/v1/stats").at("analysis").at("cache").at("invalidations").get<int>();
    if (invalidations == 0) std::this_thread::sleep_for(20ms);
  }
  BOOST_TEST(invalidations == 1);
  // Analysed again from the new event, and cached for it.
  BOOST_TEST(server.get(path).at("cached") == true);
  BOOST_TEST(server.get("/api/v1/stats").at("analysis").at("cache").at("invalidations") == 1);
}

BOOST_AUTO_TEST_CASE(unknown_and_malformed_group_ids) {
  Server server;
  auto unknown = server.request("GET", "/api/v1/errors/424242/analysis");
  BOOST_TEST(unknown.status == 404);
  BOOST_TEST(is_problem(unknown));
  for (const char* bad : {"abc", "0", "-3", "1x", "99999999999999999999999"}) {
    auto r = server.request("GET", std::string("/api/v1/errors/") + bad + "/analysis");
    BOOST_TEST(r.status == 400, bad);
    BOOST_TEST(is_problem(r));
  }
  const auto id = server.post_events(json::array({event("E", "m", frames_of({"f"}))})).at(0);
  auto with_query = server.request("GET", "/api/v1/errors/" + std::to_string(id) + "/analysis?x=1");
  BOOST_TEST(with_query.status == 400);
  // Nothing was created by the refused requests.
  BOOST_TEST(server.get("/api/v1/errors").at("groups").size() == 1u);
  // The analysis is there even when no events are asked for; the events stay out.
  const json g = server.get("/api/v1/errors/" + std::to_string(id) + "?events=0");
  BOOST_TEST(g.at("events").empty());
  BOOST_TEST(g.at("analysis").at("class").is_string());
}

BOOST_AUTO_TEST_CASE(a_corrupted_model_file_leaves_everything_unknown) {
  TempDir dir;
  const auto model = dir.path() / "garbage.json";
  std::ofstream(model) << "{\"format\": \"dbgcoord-crash-classifier\", \"weights\": [1, 2";
  Server server({"--model-file", model.string()});
  BOOST_TEST(server.get("/healthz").at("status").is_string());
  BOOST_TEST(WTERMSIG(server.crash_once({dbg::test::target_path("crasher_O2"), "null"})) == SIGSEGV);
  const json g = server.group_of_type("SIGSEGV/SEGV_MAPERR");
  const json a = server.get("/api/v1/errors/" + std::to_string(g.at("id").get<int64_t>()) + "/analysis");
  BOOST_TEST(a.at("class") == "unknown");
  BOOST_TEST(a.at("confidence").get<double>() == 0.0);
  BOOST_TEST(a.at("model_version").is_null());
  BOOST_TEST(server.get("/api/v1/stats").at("analysis").at("model_loaded") == false);
  // Logged, clearly, in the coordinator's log file.
  bool logged = false;
  for (int i = 0; i < 500 && !logged; ++i) {
    logged = read_text(server.data.path() / "logs" / "dbgcoord.log").find("classifier model did not load") != std::string::npos;
    if (!logged) std::this_thread::sleep_for(20ms);
  }
  BOOST_TEST(logged);
}

BOOST_AUTO_TEST_CASE(metrics_show_the_cache_and_pass_promtool) {
  Server server;
  const auto id = server.post_events(json::array({event("E", "m", frames_of({"f", "g"}))})).at(0);
  for (int i = 0; i < 3; ++i) server.get("/api/v1/errors/" + std::to_string(id) + "/analysis");
  auto r = server.request("GET", "/metrics");
  BOOST_REQUIRE(r.status == 200);
  for (const char* name : {"dbgcoord_analysis_cache_hits_total", "dbgcoord_analysis_cache_misses_total",
                           "dbgcoord_analysis_cache_hit_ratio", "dbgcoord_analysis_cache_evictions_total",
                           "dbgcoord_analysis_seconds_bucket", "dbgcoord_analysis_model_loaded 1"})
    BOOST_TEST(r.body.find(name) != std::string::npos, name);
  TempDir dir;
  const auto file = dir.path() / "metrics.txt";
  std::ofstream(file) << r.body;
  auto check = dbg::test::run_command({"/bin/sh", "-c", "promtool check metrics < " + file.string()});
  BOOST_TEST(check.exit_code == 0, "promtool: " << check.out << check.err);
  const json stats = server.get("/api/v1/stats");
  BOOST_TEST(stats.at("analysis").at("cache").at("capacity") == 1000);
  BOOST_TEST(stats.at("error_analysis_us").at("count").get<int>() >= 3);
}
