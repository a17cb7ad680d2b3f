// Logging and metrics on a real dbgcoord: /metrics, /api/v1/stats and /api/v1/logging need the
// token; PUT /api/v1/logging refuses bad values and changes nothing; /metrics passes
// `promtool check metrics`; a real snapshot session moves the metrics and leaves a debug record
// in the session; the log file is written in the data directory.
#define BOOST_TEST_MODULE coordinator_ops
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "coordinator_test_client.hpp"
#include "test_support.hpp"

using namespace dbg::coord::test;
using dbg::test::ChildProcess;
using nlohmann::json;

namespace {

struct Server {
  TempDir data;
  Coordinator c;
  std::string token;
  Server() : c(start_coordinator_in(data.path())), token(read_trimmed_file(data.path() / "token")) {}

  HttpReply request(const std::string& method, const std::string& target, const std::string& body = {},
                    bool with_token = true) {
    HttpConnection conn(c.port);
    std::vector<std::string> headers{"Connection: close"};
    if (with_token) headers.push_back("Authorization: Bearer " + token);
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
};

// The value of an unlabelled sample (or one with the exact label text) in an exposition; -1
// when absent.
double sample(const std::string& text, const std::string& series) {
  auto pos = text.find("\n" + series + " ");
  if (pos == std::string::npos) return -1;
  return std::stod(text.substr(pos + series.size() + 2));
}

}  // namespace

BOOST_AUTO_TEST_CASE(metrics_stats_and_logging_need_the_token) {
  Server s;
  for (const char* path : {"/metrics", "/api/v1/stats", "/api/v1/logging", "/api/v1/logging/impact"}) {
    auto r = s.request("GET", path, {}, false);
    BOOST_TEST(r.status == 401, path << " -> " << r.status);
    BOOST_TEST(s.request("GET", path).status == 200, path);
  }
  auto put = s.request("PUT", "/api/v1/logging", R"({"levels":{"warning":{"sample_rate":0.5}}})", false);
  BOOST_TEST(put.status == 401);
  // Refused without the token: nothing changed.
  BOOST_TEST(s.get_json("/api/v1/logging").at("levels").at("warning").at("sample_rate") == 0.1);
}

BOOST_AUTO_TEST_CASE(bad_logging_updates_get_400_and_change_nothing) {
  Server s;
  auto before = s.get_json("/api/v1/logging");
  BOOST_TEST(before.at("levels").at("error").at("sample_rate") == 0.5);
  BOOST_TEST(before.at("levels").at("debug").at("enabled") == false);
  for (const char* body : {R"({"levels":{"warning":{"sample_rate":1.5}}})", R"({"levels":{"info":{"enabled":1}}})",
                           R"({"levels":{"trace":{"enabled":true}}})", R"({"window_s":-1})", R"({"colour":true})",
                           R"({"levels":{"info":{"sample_rate":0.5},"error":{"sample_rate":-1}}})", "not json", "[]"}) {
    auto r = s.request("PUT", "/api/v1/logging", body);
    BOOST_TEST(r.status == 400, body << " -> " << r.status);
    BOOST_TEST(r.header("content-type") == "application/problem+json");
    auto now = s.get_json("/api/v1/logging");
    BOOST_TEST(now.at("levels") == before.at("levels"), body << " changed the configuration");
    BOOST_TEST(now.at("window_s") == before.at("window_s"));
  }
  auto ok = s.request("PUT", "/api/v1/logging", R"({"levels":{"debug":{"enabled":true,"sample_rate":0.2}},"window_s":10})");
  BOOST_REQUIRE_MESSAGE(ok.status == 200, ok.body);
  auto after = s.get_json("/api/v1/logging");
  BOOST_TEST(after.at("levels").at("debug").at("enabled") == true);
  BOOST_TEST(after.at("levels").at("debug").at("sample_rate") == 0.2);
  BOOST_TEST(after.at("window_s") == 10);
  BOOST_TEST(after.at("levels").at("error") == before.at("levels").at("error"));
}

BOOST_AUTO_TEST_CASE(a_snapshot_session_moves_the_metrics_and_promtool_accepts_them) {
  ChildProcess target({dbg::test::target_path("chain"), "3"});
  BOOST_REQUIRE(target.wait_for_line("ready", 10s));
  Server s;

  auto before = s.request("GET", "/metrics");
  BOOST_REQUIRE_EQUAL(before.status, 200);
  BOOST_TEST(before.header("content-type").rfind("text/plain; version=0.0.4", 0) == 0u);
  BOOST_TEST(sample(before.body, "dbgcoord_snapshots_received_total") == 0);
  BOOST_TEST(sample(before.body, "dbgcoord_thread_pause_seconds_count") == 0);

  auto created = s.request("POST", "/api/v1/sessions",
                           R"({"targets":{"pids":[)" + std::to_string(target.pid()) + R"(]},"options":{"source":"none"}})");
  BOOST_REQUIRE_MESSAGE(created.status == 202, created.body);
  std::string id = json::parse(created.body).at("id");
  json session;
  for (auto deadline = std::chrono::steady_clock::now() + 60s;;) {
    session = s.get_json("/api/v1/sessions/" + id);
    if (session.at("status") != "queued" && session.at("status") != "running") break;
    BOOST_REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(20ms);
  }
  BOOST_REQUIRE_EQUAL(session.at("status"), "done");

  // The session's debug record.
  const auto& debug = session.at("debug");
  BOOST_TEST(debug.at("snapshots") == 1);
  BOOST_TEST(debug.at("start_ms") == session.at("created_at_ms"));
  BOOST_TEST(debug.at("end_ms") == session.at("finished_at_ms"));
  BOOST_TEST(debug.at("analysis_us").at("total").get<double>() > 0);
  BOOST_TEST(debug.at("max_pause_us").get<double>() > 0);
  BOOST_TEST(debug.at("cache").at("lookups").get<int>() > 0);
  BOOST_TEST(debug.at("memory_peak_bytes").at("coordinator").get<long long>() > 0);
  BOOST_TEST(debug.at("memory_peak_bytes").at("workers").get<long long>() > 0);

  auto after = s.request("GET", "/metrics");
  BOOST_REQUIRE_EQUAL(after.status, 200);
  const std::string& m = after.body;
  BOOST_TEST(sample(m, "dbgcoord_snapshots_received_total") == 1);
  // chain 3 runs three threads: one pause observation per thread.
  BOOST_TEST(sample(m, "dbgcoord_thread_pause_seconds_count") == 3);
  BOOST_TEST(sample(m, "dbgcoord_thread_pause_seconds_sum") > 0);
  BOOST_TEST(sample(m, "dbgcoord_pool_workers_started_total") >= 1);
  BOOST_TEST(sample(m, "dbgcoord_pool_jobs_total{outcome=\"done\"}") == 1);
  BOOST_TEST(sample(m, "dbgcoord_store_rows{table=\"snapshots\"}") == 1);
  BOOST_TEST(sample(m, "dbgcoord_process_resident_memory_bytes") > 0);
  BOOST_TEST(sample(m, "dbgcoord_http_requests_total{route=\"/api/v1/sessions\",code=\"2xx\"}") == 1);
  BOOST_TEST(sample(m, "dbgcoord_http_requests_total{route=\"/api/v1/sessions/{id}\",code=\"2xx\"}") >= 1);
  BOOST_TEST(sample(m, "dbgcoord_log_lines_written_total{level=\"info\"}") >= 1);
  // No pid or id ever becomes a label.
  BOOST_TEST(m.find("=\"" + std::to_string(target.pid()) + "\"") == std::string::npos);
  BOOST_TEST(m.find(id) == std::string::npos);

  // promtool (Debian package prometheus) must accept the exposition as is.
  TempDir tmp;
  auto file = tmp.path() / "metrics.txt";
  std::ofstream(file) << m;
  auto check = dbg::test::run_command({"/bin/sh", "-c", "promtool check metrics < " + file.string()});
  BOOST_TEST(check.exit_code == 0, "promtool: " << check.out << check.err);
  BOOST_TEST(check.err.find("not found") == std::string::npos, check.err);

  auto stats = s.get_json("/api/v1/stats");
  BOOST_TEST(stats.at("thread_pause_us").at("count") == 3);
  BOOST_TEST(stats.at("thread_pause_us").at("p99").get<double>() > 0);
  BOOST_TEST(stats.at("snapshot_analysis_us").at("count") == 1);
  BOOST_TEST(stats.at("memory").at("coordinator").at("peak_bytes").get<long long>() > 0);
  BOOST_TEST(stats.at("memory").at("workers").size() >= 1u);
  BOOST_TEST(stats.at("workers").at("restarts") == 0);
  BOOST_TEST(stats.at("store").at("snapshots") == 1);
  BOOST_TEST(stats.at("worker_cache").at("lookups").get<long long>() > 0);
  BOOST_TEST(stats.at("error_resolution_rate").is_null());
  BOOST_TEST(stats.contains("log_lines_dropped"));

  auto impact = s.get_json("/api/v1/logging/impact");
  BOOST_TEST(impact.at("queue").at("capacity") == 10000);
  BOOST_TEST(impact.at("lines").at("written").get<long long>() >= 1);

  // Logs reach DATA_DIR/logs/dbgcoord.log (after the flush at stop).
  s.c.process.signal(SIGTERM);
  BOOST_REQUIRE_EQUAL(exit_code_of(s.c.process.wait(10s)), 0);
  auto log = read_trimmed_file(s.data.path() / "logs" / "dbgcoord.log");
  BOOST_TEST(log.find("API token") != std::string::npos, log);
  BOOST_TEST(log.find("stopped") != std::string::npos, log);
}
