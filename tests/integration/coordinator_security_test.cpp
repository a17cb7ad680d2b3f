#define BOOST_TEST_MODULE coordinator_security
// Security properties of a real dbgcoord (DESIGN.md, Security; docs/security.md), each checked
// end to end over loopback:
//  - every route of `dbgcoord --list-routes` under /api or /metrics answers 401 without the
//    token or with a wrong one (a route added later is covered without editing this test);
//  - targets the policy refuses (pid 1, kthreadd and its children, the coordinator, its
//    workers, another user's process) get 403 from every API that would trace them, and are
//    never traced meanwhile (TracerPid stays 0, no worker job runs, no watcher starts);
//  - the worker never writes a target: its writable memory is unchanged across snapshots,
//    profiles and a crash watch;
//  - hostile clients (deep JSON, big bodies and headers, a slowloris) are cut off while other
//    clients stay served.
// What older tests check already (401/403/1009 on the event stream, 413/431 on their own,
// the policy's decisions in-process) is not repeated here.
#include <boost/test/unit_test.hpp>

#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <grp.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "coordinator/http/health.hpp"
#include "coordinator/http/listener.hpp"
#include "coordinator/http/router.hpp"
#include "coordinator/http/server_context.hpp"
#include "coordinator/events/hub.hpp"
#include "coordinator/procfs/proc_reader.hpp"
#include "coordinator_test_client.hpp"
#include "test_support.hpp"

using namespace dbg::coord::test;
using dbg::test::ChildProcess;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// In Server::request's headers: send no Authorization header at all.
const std::string kNoToken = "(no token)";

struct Server {
  TempDir data;
  Coordinator c;
  std::string token;
  explicit Server(std::vector<std::string> extra = {})
      : c([&] {
          std::vector<std::string> args{"--listen", "127.0.0.1:0", "--data-dir", data.path().string()};
          args.insert(args.end(), extra.begin(), extra.end());
          return start_coordinator(args);
        }()),
        token(read_trimmed_file(data.path() / "token")) {}

  HttpReply request(const std::string& method, const std::string& target, const std::string& body = {},
                    std::vector<std::string> headers = {}) {
    HttpConnection conn(c.port);
    headers.push_back("Connection: close");
    // The valid token unless the caller set an Authorization header, or asked for none.
    auto none = std::find(headers.begin(), headers.end(), kNoToken);
    if (none != headers.end()) {
      headers.erase(none);
    } else if (std::none_of(headers.begin(), headers.end(),
                            [](const std::string& h) { return h.rfind("Authorization", 0) == 0; })) {
      headers.push_back("Authorization: Bearer " + token);
    }
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

// Sum of every sample of a metric family in a Prometheus exposition (all label sets).
double metric_sum(const std::string& exposition, const std::string& family) {
  double sum = 0;
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(family, 0) != 0) continue;
    auto rest = line.substr(family.size());
    if (rest.empty() || (rest[0] != '{' && rest[0] != ' ')) continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

int tracer_pid(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("TracerPid:", 0) == 0) return std::stoi(line.substr(10));
  }
  return -1;  // gone
}

// Samples the TracerPid of each pid until destroyed; any non-zero value is kept. A ptrace
// attach by the coordinator's worker or watcher would show up here while it lasts.
class TracerWatch {
 public:
  explicit TracerWatch(std::vector<pid_t> pids) : pids_(std::move(pids)), thread_([this] { run(); }) {}
  ~TracerWatch() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // pid -> the tracer seen, for pids that were traced at some sample.
  std::map<pid_t, int> traced() {
    stop();
    return traced_;
  }
  long samples() const { return samples_; }

 private:
  void run() {
    while (!stop_) {
      for (pid_t pid : pids_) {
        int t = tracer_pid(pid);
        if (t > 0) traced_[pid] = t;
      }
      ++samples_;
      std::this_thread::sleep_for(1ms);
    }
  }
  std::vector<pid_t> pids_;
  std::map<pid_t, int> traced_;
  std::atomic<bool> stop_{false};
  std::atomic<long> samples_{0};
  std::thread thread_;
};

// A child running `sleep` as uid/gid nobody (tests run as root): another user's process.
class NobodyChild {
 public:
  NobodyChild() {
    pid_ = ::fork();
    if (pid_ == 0) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(97);
      ::execl("/bin/sleep", "sleep", "600", static_cast<char*>(nullptr));
      ::_exit(98);
    }
  }
  ~NobodyChild() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  NobodyChild(const NobodyChild&) = delete;
  NobodyChild& operator=(const NobodyChild&) = delete;
  pid_t pid() const { return pid_; }
  // True once the child runs sleep as nobody.
  bool wait_ready() {
    for (int i = 0; i < 500; ++i) {
      auto p = dbg::coord::procfs::read_process(pid_);
      if (p && p->uid == 65534 && read_trimmed_file("/proc/" + std::to_string(pid_) + "/comm") == "sleep") return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

 private:
  pid_t pid_ = -1;
};

// FNV-1a over every readable+writable mapping of pid (as worker_safety_test does for the
// worker alone), read with process_vm_readv.
uint64_t writable_memory_hash(pid_t pid) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  uint64_t h = 1469598103934665603ULL;
  size_t bytes = 0;
  std::vector<char> buf;
  while (std::getline(maps, line)) {
    std::istringstream in(line);
    std::string range, perms;
    in >> range >> perms;
    if (perms.size() < 2 || perms[0] != 'r' || perms[1] != 'w') continue;
    if (line.find("[vvar") != std::string::npos || line.find("[vsyscall]") != std::string::npos) continue;
    uint64_t start = std::stoull(range.substr(0, range.find('-')), nullptr, 16);
    uint64_t end = std::stoull(range.substr(range.find('-') + 1), nullptr, 16);
    buf.resize(end - start);
    iovec local{buf.data(), buf.size()}, remote{reinterpret_cast<void*>(start), buf.size()};
    ssize_t n = ::process_vm_readv(pid, &local, 1, &remote, 1, 0);
    BOOST_REQUIRE_MESSAGE(n == static_cast<ssize_t>(buf.size()), "could not read " << line);
    for (char c : buf) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ULL;
    bytes += buf.size();
  }
  BOOST_REQUIRE(bytes > 100000u);
  return h;
}

// Polls a session until it ends; returns its final JSON.
json wait_session(Server& s, const std::string& id) {
  for (int i = 0; i < 1200; ++i) {
    auto session = s.get_json("/api/v1/sessions/" + id);
    auto status = session.at("status").get<std::string>();
    if (status != "queued" && status != "running") return session;
    std::this_thread::sleep_for(50ms);
  }
  BOOST_FAIL("session " << id << " did not end within 60 s");
  return {};
}

// Ids are strings in the API; accept a number too.
std::string id_of(const json& j) {
  const auto& id = j.at("id");
  return id.is_string() ? id.get<std::string>() : std::to_string(id.get<long long>());
}

std::string post_session(Server& s, const json& body) {
  auto r = s.request("POST", "/api/v1/sessions", body.dump());
  BOOST_REQUIRE_MESSAGE(r.status == 202, r.status << " " << r.body);
  return id_of(json::parse(r.body));
}

void check_401(const HttpReply& reply, const std::string& what) {
  BOOST_TEST(reply.status == 401, what << " -> " << reply.status);
  BOOST_TEST(reply.header("www-authenticate").rfind("Bearer", 0) == 0u, what);
  BOOST_TEST(reply.header("content-type") == "application/problem+json", what);
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_listed_route_needs_the_token) {
  TempDir dir;
  auto listed = dbg::test::run_command({dbg::test::bin_path("dbgcoord"), "--list-routes", "--data-dir", dir.path().string()});
  BOOST_REQUIRE_EQUAL(listed.exit_code, 0);
  struct Route {
    std::string method, pattern, kind;
  };
  std::vector<Route> routes;
  std::istringstream in(listed.out);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    Route r;
    fields >> r.method >> r.pattern >> r.kind;
    routes.push_back(r);
  }
  // Not vacuous: the table is the server's (sessions, errors, metrics, the event stream are in).
  BOOST_TEST_REQUIRE(routes.size() >= 20u, listed.out);
  std::set<std::string> seen;
  for (const auto& r : routes) seen.insert(r.method + " " + r.pattern);
  for (const char* expected : {"POST /api/v1/sessions", "PATCH /api/v1/errors/{id}", "GET /metrics",
                               "GET /api/v1/events", "DELETE /api/v1/watches/{id}", "PUT /api/v1/logging"}) {
    BOOST_TEST(seen.count(expected) == 1u, expected << " not listed:\n" << listed.out);
  }

  Server s;
  int checked = 0;
  for (const auto& r : routes) {
    bool guarded = r.pattern.rfind("/api/", 0) == 0 || r.pattern == "/metrics" || r.pattern.rfind("/metrics/", 0) == 0;
    if (!guarded) {
      // Open: the health check and the dashboard's own static files (web/, embedded at build
      // time; they hold no data, every call they make carries the token). A new open route
      // must be a decision, made here.
      auto ends_with = [&](std::string_view suffix) {
        return r.pattern.size() >= suffix.size() && r.pattern.compare(r.pattern.size() - suffix.size(), suffix.size(), suffix) == 0;
      };
      bool static_file = r.method == "GET" && (r.pattern == "/" || ends_with(".html") || ends_with(".js") ||
                                               ends_with(".css") || ends_with(".svg"));
      BOOST_TEST((r.pattern == "/healthz" || static_file), r.method << " " << r.pattern << " is outside /api and /metrics");
      continue;
    }
    // {id} and the like: any value; the token check comes before routing.
    std::string path;
    for (size_t i = 0; i < r.pattern.size(); ++i) {
      if (r.pattern[i] == '{') {
        path += "1";
        i = r.pattern.find('}', i);
      } else {
        path += r.pattern[i];
      }
    }
    std::vector<std::string> upgrade;
    if (r.kind == "websocket") {
      upgrade = {"Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13",
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="};
    }
    std::string body = r.method == "GET" || r.method == "DELETE" ? "" : R"({"kind":"snapshot"})";
    for (const std::string& auth :
         std::vector<std::string>{kNoToken, "Authorization:", "Authorization: Bearer wrong-token-0123456789",
                                  "Authorization: Basic " + s.token, "Authorization: Bearer " + s.token + "x"}) {
      auto headers = upgrade;
      headers.push_back(auth);
      check_401(s.request(r.method, path, body, headers), r.method + " " + path + " with '" + auth + "'");
      ++checked;
    }
  }
  BOOST_TEST(checked >= 5 * 18);
  // Nothing was created by the refused requests.
  BOOST_TEST(s.get_json("/api/v1/sessions").at("sessions").empty());
  BOOST_TEST(s.get_json("/api/v1/errors").at("groups").empty());
}

BOOST_AUTO_TEST_CASE(refused_targets_get_403_and_are_never_traced) {
  if (::geteuid() != 0) {
    BOOST_TEST_MESSAGE("not root: cannot start a process as another user; skipped");
    return;
  }
  Server s;
  // Workers exist once a session ran: snapshot a child of ours (allowed), then read their pids.
  ChildProcess own({"/bin/sleep", "600"});
  auto done = wait_session(s, post_session(s, {{"kind", "snapshot"}, {"targets", {{"pids", {own.pid()}}}},
                                               {"options", {{"source", "none"}}}}));
  BOOST_TEST_REQUIRE(done.at("status") == "done", done.dump());
  // The coordinator's children (its workers), from every thread's /proc children list.
  std::vector<pid_t> workers;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(s.c.process.pid()) + "/task")) {
    std::ifstream children(task.path() / "children");
    for (pid_t child; children >> child;) {
      if (read_trimmed_file("/proc/" + std::to_string(child) + "/comm") == "dbg-worker") workers.push_back(child);
    }
  }
  BOOST_TEST_REQUIRE(!workers.empty(), s.get_json("/api/v1/stats").dump());

  NobodyChild nobody;
  BOOST_TEST_REQUIRE(nobody.wait_ready());
  std::map<pid_t, std::string> refused{{1, "pid 1"}, {s.c.process.pid(), "the coordinator"}, {nobody.pid(), "user nobody"}};
  for (pid_t w : workers) refused[w] = "a worker";
  if (read_trimmed_file("/proc/2/comm") == "kthreadd") {
    refused[2] = "kthreadd";
    for (const auto& p : dbg::coord::procfs::read_all_processes()) {
      if (p.ppid == 2 && p.kernel_thread && refused.size() < workers.size() + 8) refused[p.pid] = "kernel thread " + p.comm;
    }
  }

  std::vector<pid_t> pids;
  for (const auto& [pid, what] : refused) {
    if (tracer_pid(pid) == 0) pids.push_back(pid);  // already traced (by a debugger): not ours to judge
  }
  auto jobs_before = metric_sum(s.request("GET", "/metrics").body, "dbgcoord_pool_jobs_total");
  TracerWatch tracers(pids);
  for (const auto& [pid, what] : refused) {
    json snapshot{{"kind", "snapshot"}, {"targets", {{"pids", {pid}}}}};
    json profile{{"kind", "profile"}, {"targets", {{"pids", {pid}}}}, {"options", {{"hz", 99}, {"duration_s", 1}}}};
    json watch{{"pid", pid}};
    for (auto [route, body] : {std::pair{"/api/v1/sessions", snapshot}, {"/api/v1/sessions", profile},
                               {"/api/v1/watches", watch}}) {
      auto r = s.request("POST", route, body.dump());
      BOOST_TEST(r.status == 403, what << " (" << pid << ") POST " << route << " " << body.dump() << " -> " << r.status
                                       << " " << r.body);
      // A kernel thread may exit between listing and request: 404 is a refusal too.
      if (r.status == 404) BOOST_TEST(what.rfind("kernel thread", 0) == 0u);
    }
  }
  std::this_thread::sleep_for(500ms);  // anything started by mistake would be attached by now
  auto traced = tracers.traced();
  BOOST_TEST(tracers.samples() > 10);
  for (const auto& [pid, tracer] : traced) BOOST_ERROR(refused[pid] << " (" << pid << ") was traced by " << tracer);
  // No job reached a worker, and no crash watcher was started.
  BOOST_TEST(metric_sum(s.request("GET", "/metrics").body, "dbgcoord_pool_jobs_total") == jobs_before);
  BOOST_TEST(s.get_json("/api/v1/watches").at("watcher_pid") == 0);
  BOOST_TEST(s.get_json("/api/v1/sessions").at("sessions").size() == 1u);
}

BOOST_AUTO_TEST_CASE(snapshots_profiles_and_a_watch_leave_target_memory_unchanged) {
  Server s;
  // rseq off: the kernel would otherwise rewrite glibc's rseq area when a thread moves CPU.
  ChildProcess target({dbg::test::target_path("chain"), "4"}, {"GLIBC_TUNABLES=glibc.pthread.rseq=0"});
  BOOST_TEST_REQUIRE(target.wait_for_line("ready", 10s));
  uint64_t before = writable_memory_hash(target.pid());

  // 100 snapshot sessions (process and thread consistency), 2 profiles, one watch.
  for (int i = 0; i < 10; ++i) {
    auto session = wait_session(
        s, post_session(s, {{"kind", "snapshot"}, {"targets", {{"pids", {target.pid()}}}},
                            {"options", {{"source", "none"}, {"consistency", i % 2 ? "process" : "thread"}}}}));
    BOOST_TEST_REQUIRE(session.at("status") == "done", session.dump());
    for (int k = 1; k < 10; ++k) {
      auto more = wait_session(s, post_session(s, {{"kind", "snapshot"}, {"targets", {{"pids", {target.pid()}}}},
                                                   {"options", {{"source", "none"}}}}));
      BOOST_TEST_REQUIRE(more.at("status") == "done", more.dump());
    }
  }
  for (int i = 0; i < 2; ++i) {
    auto profile = wait_session(s, post_session(s, {{"kind", "profile"}, {"targets", {{"pids", {target.pid()}}}},
                                                    {"options", {{"hz", 200}, {"duration_s", 1}, {"source", "none"}}}}));
    BOOST_TEST_REQUIRE(profile.at("status") == "done", profile.dump());
  }
  auto watch = s.request("POST", "/api/v1/watches", json{{"pid", target.pid()}}.dump());
  BOOST_TEST_REQUIRE(watch.status == 201, watch.body);
  auto watch_id = id_of(json::parse(watch.body));
  BOOST_TEST(tracer_pid(target.pid()) > 0);  // held by the watcher
  BOOST_TEST(writable_memory_hash(target.pid()) == before);
  BOOST_TEST(s.request("DELETE", "/api/v1/watches/" + watch_id).status == 200);
  for (int i = 0; i < 100 && tracer_pid(target.pid()) != 0; ++i) std::this_thread::sleep_for(50ms);
  BOOST_TEST(tracer_pid(target.pid()) == 0);
  BOOST_TEST(writable_memory_hash(target.pid()) == before);
  for (pid_t tid : dbg::test::thread_ids(target.pid())) {
    char state = dbg::test::thread_state(target.pid(), tid);
    BOOST_TEST((state == 'S' || state == 'R'), "thread " << tid << " in state " << state);
  }
}

BOOST_AUTO_TEST_CASE(deep_json_big_bodies_and_headers_are_refused_while_others_are_served) {
  Server s;
  // A keep-alive client that stays served throughout.
  HttpConnection steady(s.c.port);
  auto steady_get = [&] {
    steady.send_request("GET", "/api/v1/sessions", {}, {"Authorization: Bearer " + s.token});
    auto r = steady.read_response(30s);
    return r ? r->status : 0;
  };
  BOOST_TEST(steady_get() == 200);

  // 100,000 levels: a recursive parser without a depth bound would overflow its stack.
  std::string deep_array = std::string(100000, '[') + std::string(100000, ']');
  std::string deep_object;
  for (int i = 0; i < 20000; ++i) deep_object += "{\"a\":";
  deep_object += "1" + std::string(20000, '}');
  for (auto [method, target] : {std::pair{"POST", "/api/v1/sessions"}, {"POST", "/api/v1/watches"},
                                {"POST", "/api/v1/errors/events"}, {"PATCH", "/api/v1/errors/1"},
                                {"PUT", "/api/v1/logging"}}) {
    for (const auto& body : {deep_array, deep_object}) {
      auto r = s.request(method, target, body);
      BOOST_TEST(r.status == 400, method << " " << target << " deep JSON -> " << r.status << " " << r.body);
      BOOST_TEST(r.header("content-type") == "application/problem+json");
    }
  }
  BOOST_TEST(steady_get() == 200);

  // Over the body limit (1 MiB), refused from Content-Length before the body is read.
  {
    HttpConnection big(s.c.port);
    big.send_raw("POST /api/v1/errors/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + s.token +
                 "\r\nContent-Length: 2000000\r\n\r\n");
    auto r = big.read_response(30s);
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->status == 413);
    BOOST_TEST(big.closed_by_peer(30s));
  }
  // Over the header limit (8 KiB).
  {
    HttpConnection fat(s.c.port);
    fat.send_raw("GET /api/v1/sessions HTTP/1.1\r\nHost: x\r\nX-Fill: " + std::string(9000, 'a') + "\r\n\r\n");
    auto r = fat.read_response(30s);
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->status == 431);
    BOOST_TEST(fat.closed_by_peer(30s));
  }
  BOOST_TEST(steady_get() == 200);
  // Nothing was stored by the refused requests.
  BOOST_TEST(s.get_json("/api/v1/sessions").at("sessions").empty());
  BOOST_TEST(s.get_json("/api/v1/errors").at("groups").empty());
  BOOST_TEST(s.get_json("/api/v1/watches").at("watches").empty());
}

// Slowloris: a client dribbling its header one byte at a time is cut off once the request
// timeout (HttpLimits::io_timeout) has passed, while other clients are served meanwhile. An
// in-process server (the real Listener and sessions) with a 2 s timeout instead of dbgcoord's
// 30 s keeps the test short; the mechanism is the same.
BOOST_AUTO_TEST_CASE(slowloris_is_cut_off_after_the_header_timeout_while_others_are_served) {
  namespace http = dbg::coord::http;
  boost::asio::io_context ioc;
  auto router = std::make_shared<http::Router>();
  http::add_health_routes(*router, std::chrono::steady_clock::now());
  http::HttpLimits limits;
  limits.io_timeout = 2s;
  auto hub = std::make_shared<dbg::coord::events::Hub>();
  http::ServerContext context{router, hub, {}, limits};
  http::Listener listener(ioc, dbg::coord::ListenAddress{"127.0.0.1", 0}, std::move(context));
  listener.start();
  int port = listener.local_address().port;
  std::thread io([&] { ioc.run(); });

  HttpConnection slow(port);
  const std::string header = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  std::atomic<bool> slow_cut{false};
  std::atomic<int> slow_bytes{0};
  std::thread dribble([&] {
    // One byte every 250 ms, never finishing the header; stops once the server hung up.
    for (int i = 0; i < 240 && !slow_cut; ++i) {
      try {
        slow.send_raw(i < static_cast<int>(header.size()) ? header.substr(i, 1) : "a");
      } catch (const std::exception&) {
        slow_cut = true;
        break;
      }
      ++slow_bytes;
      if (slow.closed_by_peer(250ms)) slow_cut = true;
    }
  });
  // Meanwhile others are served, on fresh connections, well past the slow client's timeout.
  int served = 0;
  for (int i = 0; i < 20 && !slow_cut; ++i) {
    served += http_request(port, "GET", "/healthz").status == 200 ? 1 : 0;
    std::this_thread::sleep_for(250ms);
  }
  dribble.join();
  BOOST_TEST(slow_cut.load(), "the slow client was still connected after " << slow_bytes << " bytes");
  // Cut while still sending its header (fewer than 240 x 250 ms), never answered.
  BOOST_TEST(slow_bytes.load() < 240);
  BOOST_TEST(served > 0);
  BOOST_TEST(http_request(port, "GET", "/healthz").status == 200);
  listener.stop();
  ioc.stop();
  io.join();
}
