// The coordinator's own budget, end to end: started with a 1 MiB RSS budget it is over budget at
// its first check, sheds load one stage per check in the stated order, and then refuses new
// sessions with 503 problem+json and Retry-After; /api/v1/stats, /metrics, the "budget" hub
// topic and the log all say so. Progress is observed by polling /api/v1/stats, never by sleeping.
// With the default budget an idle coordinator stays at stage 0 and accepts sessions.
#define BOOST_TEST_MODULE coordinator_budget
#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "coordinator_test_client.hpp"
#include "test_support.hpp"

using namespace dbg::coord::test;
using nlohmann::json;

namespace {

struct Server {
  TempDir data;
  Coordinator c;
  std::string token;
  explicit Server(std::vector<std::string> extra)
      : c(start(data.path(), std::move(extra))), token(read_trimmed_file(data.path() / "token")) {}
  static Coordinator start(const std::filesystem::path& dir, std::vector<std::string> extra) {
    std::vector<std::string> args{"--listen", "127.0.0.1:0", "--data-dir", dir.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return start_coordinator(args);
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
  json stats() { return json::parse(request("GET", "/api/v1/stats").body); }
  // Polls /api/v1/stats until `ready` holds; the deadline only turns a hang into a failure.
  json wait_stats(const std::function<bool(const json&)>& ready) {
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    for (;;) {
      auto s = stats();
      if (ready(s)) return s;
      BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "budget state never reached: " << s.at("budget"));
    }
  }
};

double metric(const std::string& exposition, const std::string& name) {
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  BOOST_FAIL("metric " << name << " not found");
  return -1;
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

const std::string kSession = R"({"kind":"snapshot","targets":{"pids":[1]}})";

}  // namespace

BOOST_AUTO_TEST_CASE(over_budget_it_sheds_in_order_and_refuses_new_sessions) {
  Server s({"--budget-rss-mb", "1"});
  EventClient events(s.c.port, s.token, "budget");
  auto st = s.wait_stats([](const json& j) { return j.at("budget").at("stage") == 3; });
  const auto& b = st.at("budget");
  BOOST_TEST(b.at("over") == true);
  BOOST_TEST(b.at("rss_limit_bytes") == 1 << 20);
  BOOST_TEST(b.at("rss_bytes").get<int64_t>() > 1 << 20);
  BOOST_TEST(b.at("reason").get<std::string>().find("rss") != std::string::npos);
  BOOST_TEST(b.at("stage_name") == "refuse_sessions");
  BOOST_TEST(b.at("actions") == json::array({"lower_sampling", "shrink_caches", "refuse_sessions"}));
  BOOST_TEST(b.at("checks").get<int>() >= 3);

  // A new session: 503 problem+json with Retry-After, before the body is even looked at.
  for (const std::string& body : {kSession, std::string(R"({"kind":"profile","targets":{"all":true}})")}) {
    auto r = s.request("POST", "/api/v1/sessions", body);
    BOOST_TEST(r.status == 503, r.body);
    BOOST_TEST(r.header("content-type") == "application/problem+json");
    BOOST_TEST(!r.header("retry-after").empty());
    BOOST_TEST(std::stoi(r.header("retry-after")) >= 1);
    BOOST_TEST(json::parse(r.body).at("detail").get<std::string>().find("budget") != std::string::npos, r.body);
  }
  BOOST_TEST(s.stats().at("budget").at("sessions_refused") == 2);
  // Nothing was created.
  BOOST_TEST(json::parse(s.request("GET", "/api/v1/sessions").body).at("sessions").empty());
  // The rest of the API still answers.
  BOOST_TEST(s.request("GET", "/api/v1/errors").status == 200);

  // Metrics: over, at stage 3, each action counted once (each stage entered once).
  auto m = s.request("GET", "/metrics").body;
  BOOST_TEST(metric(m, "dbgcoord_budget_over") == 1);
  BOOST_TEST(metric(m, "dbgcoord_budget_stage") == 3);
  BOOST_TEST(metric(m, "dbgcoord_budget_shed_total{action=\"lower_sampling\"}") == 1);
  BOOST_TEST(metric(m, "dbgcoord_budget_shed_total{action=\"shrink_caches\"}") == 1);
  BOOST_TEST(metric(m, "dbgcoord_budget_shed_total{action=\"refuse_sessions\"}") == 1);
  BOOST_TEST(metric(m, "dbgcoord_budget_rss_limit_bytes") == 1 << 20);
  TempDir tmp;
  std::ofstream(tmp.path() / "metrics.txt") << m;
  auto check = dbg::test::run_command({"/bin/sh", "-c", "promtool check metrics < " + (tmp.path() / "metrics.txt").string()});
  BOOST_TEST(check.exit_code == 0, "promtool: " << check.out << check.err);

  // The hub: while over budget every check says so, with the stage in force.
  for (;;) {
    auto e = events.next();
    BOOST_REQUIRE(e.at("topic") == "budget");
    if (e.at("data").at("stage") == 3) {
      BOOST_TEST((e.at("type") == "over_budget" || e.at("type") == "stage_changed"));
      BOOST_TEST(e.at("data").at("stage_name") == "refuse_sessions");
      BOOST_TEST(e.at("data").at("rss_limit_bytes") == 1 << 20);
      break;
    }
  }

  // The log: one WARN per stage entered.
  s.c.process.signal(SIGTERM);
  BOOST_REQUIRE_EQUAL(exit_code_of(s.c.process.wait(20s)), 0);
  auto log = read_trimmed_file(s.data.path() / "logs" / "dbgcoord.log");
  BOOST_TEST(log.find("new profile sessions sample at half the rate") != std::string::npos, log);
  BOOST_TEST(log.find("caches shrunk") != std::string::npos, log);
  BOOST_TEST(log.find("new sessions are refused (503)") != std::string::npos, log);
}

// The budget the second case runs under: the defaults, except in an AddressSanitizer build
// (scripts/sanitize.sh), whose shadow memory alone is over the default 50 MiB: there it is given
// explicitly (flags win over the script's environment), and the property checked is the same.
#if defined(__SANITIZE_ADDRESS__)
const std::vector<std::string> kBudgetFlags{"--budget-rss-mb", "1024", "--budget-cpu-percent", "100"};
constexpr int64_t kRssLimit = int64_t{1024} << 20;
constexpr double kCpuLimit = 100.0;
#else
const std::vector<std::string> kBudgetFlags{};
constexpr int64_t kRssLimit = int64_t{50} << 20;
constexpr double kCpuLimit = 5.0;
#endif

BOOST_AUTO_TEST_CASE(within_budget_nothing_is_shed_and_sessions_are_accepted) {
  Server s(kBudgetFlags);
  dbg::test::ChildProcess target({"/bin/sleep", "120"});
  // Three checks done and still stage 0 (an idle coordinator uses ~12 MB and no CPU).
  auto st = s.wait_stats([](const json& j) { return j.at("budget").at("checks").get<int>() >= 3; });
  BOOST_TEST(st.at("budget").at("stage") == 0);
  BOOST_TEST(st.at("budget").at("over") == false);
  BOOST_TEST(st.at("budget").at("rss_limit_bytes") == kRssLimit);
  BOOST_TEST(st.at("budget").at("cpu_limit_percent") == kCpuLimit);
  auto r = s.request("POST", "/api/v1/sessions",
                     R"({"kind":"snapshot","targets":{"pids":[)" + std::to_string(target.pid()) + "]}}");
  BOOST_TEST(r.status == 202, r.body);
  auto m = s.request("GET", "/metrics").body;
  BOOST_TEST(metric(m, "dbgcoord_budget_over") == 0);
  BOOST_TEST(metric(m, "dbgcoord_budget_shed_total{action=\"refuse_sessions\"}") == 0);
  target.signal(SIGKILL);
  s.c.process.signal(SIGTERM);
  BOOST_REQUIRE_EQUAL(exit_code_of(s.c.process.wait(20s)), 0);
}
