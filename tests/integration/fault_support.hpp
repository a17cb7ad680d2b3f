#pragma once
// Helpers of the fault tests (coordinator_*faults* and friends): a dbgcoord with its token, the
// /proc facts a fault must not break (process state, TracerPid), the coordinator's own children
// (found through /proc, never by name: other engineers' dbgcoords run on the same machine),
// polling with a generous deadline, and the SQLite oracle (integrity_check, counts).
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "coordinator_test_client.hpp"
#include "test_support.hpp"
#include "zombie_check.hpp"

namespace dbg::coord::test::faults {

using nlohmann::json;

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Polls pred every 10 ms until it holds or the (generous) deadline passes. The deadline is a
// failure condition, not a measurement.
inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds deadline = 20s) {
  auto end = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(10ms);
  }
}

// The state letter of the process (its main thread) from /proc/PID/stat; '?' when gone.
inline char process_state(pid_t pid) {
  std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return '?';
  return stat[close + 2];
}

// TracerPid of every thread of pid (the kernel keeps it per thread); -1 entries for vanished ones.
inline std::set<int> tracer_pids(pid_t pid) {
  std::set<int> out;
  for (pid_t tid : dbg::test::thread_ids(pid)) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("TracerPid:", 0) == 0) out.insert(std::stoi(line.substr(10)));
  }
  return out;
}

// The process's own TracerPid (main thread), -1 when gone.
inline int tracer_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("TracerPid:", 0) == 0) return std::stoi(line.substr(10));
  return -1;
}

// Running and untraced: no thread in a stop, every TracerPid 0.
// Every thread as "tid:state:tracer", for a failure message that says which thread was held.
inline std::string threads_report(pid_t pid) {
  std::string out;
  for (pid_t tid : dbg::test::thread_ids(pid)) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status");
    std::string line, state = "?", tracer = "?";
    while (std::getline(in, line)) {
      if (line.rfind("State:", 0) == 0 && line.size() > 7) state = line.substr(7, 1);
      if (line.rfind("TracerPid:", 0) == 0) tracer = line.substr(10);
    }
    tracer.erase(0, tracer.find_first_not_of(" \t"));
    if (tracer != "0" && tracer != "?") tracer += "(" + slurp("/proc/" + tracer + "/comm") + ")";
    out += std::to_string(tid) + ":" + state + ":" + tracer + " ";
  }
  return out;
}

inline bool released_and_running(pid_t pid) {
  auto tracers = tracer_pids(pid);
  return !dbg::test::any_thread_stopped(pid) && tracers == std::set<int>{0};
}

// Direct children of pid (every thread's children list) whose comm is `comm` (all when empty).
inline std::vector<pid_t> children_of(pid_t pid, const std::string& comm = "") {
  std::vector<pid_t> out;
  for (pid_t tid : dbg::test::thread_ids(pid)) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/children");
    pid_t child;
    while (in >> child)
      if (comm.empty() || slurp("/proc/" + std::to_string(child) + "/comm") == comm) out.push_back(child);
  }
  return out;
}

// A dbgcoord started on an ephemeral loopback port with its data dir, and its token.
struct Server {
  Coordinator c;
  std::string token;
  Server(const std::filesystem::path& data_dir, std::vector<std::string> extra = {}, std::vector<std::string> env = {})
      : c(start(data_dir, std::move(extra), std::move(env))), token(slurp(data_dir / "token")) {}
  static Coordinator start(const std::filesystem::path& data_dir, std::vector<std::string> extra,
                           std::vector<std::string> env) {
    std::vector<std::string> args{"--listen", "127.0.0.1:0", "--data-dir", data_dir.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return start_coordinator(args, env);
  }
  pid_t pid() const { return c.process.pid(); }
  HttpReply request(const std::string& method, const std::string& target, const std::string& body = {},
                    std::chrono::milliseconds timeout = 30s) {
    HttpConnection conn(c.port);
    std::vector<std::string> headers{"Connection: close", "Authorization: Bearer " + token};
    if (!body.empty()) headers.push_back("Content-Type: application/json");
    conn.send_request(method, target, body, headers);
    auto r = conn.read_response(timeout);
    if (!r) throw std::runtime_error("no response to " + method + " " + target);
    return *r;
  }
  json get_json(const std::string& target) {
    auto r = request("GET", target);
    BOOST_REQUIRE_MESSAGE(r.status == 200, target << " -> " << r.status << " " << r.body);
    return json::parse(r.body);
  }
  // POST /api/v1/sessions, 202 required; the session's id.
  std::string create_session(const std::string& body) {
    auto r = request("POST", "/api/v1/sessions", body);
    BOOST_REQUIRE_MESSAGE(r.status == 202, "POST /api/v1/sessions " << body << " -> " << r.status << " " << r.body);
    return json::parse(r.body).at("id");
  }
  // Polls the session until it ended (done, cancelled or failed).
  json wait_session(const std::string& id, std::chrono::seconds timeout = 90s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto s = get_json("/api/v1/sessions/" + id);
      std::string status = s.at("status");
      if (status == "done" || status == "cancelled" || status == "failed") return s;
      BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "session " << id << " still " << status);
      std::this_thread::sleep_for(20ms);
    }
  }
  // The targets of a finished session, flattened.
  static std::vector<json> targets_of(const json& session) {
    std::vector<json> out;
    for (const auto& b : session.at("batches"))
      for (const auto& t : b.at("targets")) out.push_back(t);
    return out;
  }
  // SIGTERM and the exit status (nullopt: still running after the deadline).
  std::optional<int> terminate(std::chrono::seconds deadline = 20s) {
    c.process.signal(SIGTERM);
    return c.process.wait(deadline);
  }
};

// One SQLite connection to the coordinator's database file: the oracle. Read-only by default;
// writable to recover the WAL of a killed coordinator (only a writer may replay it).
class Db {
 public:
  explicit Db(const std::filesystem::path& file, bool writable = false) {
    int flags = writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
    if (sqlite3_open_v2(file.c_str(), &db_, flags, nullptr) != SQLITE_OK)
      throw std::runtime_error("cannot open " + file.string());
    sqlite3_busy_timeout(db_, 5000);
  }
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  // Column 0 of every row, as text.
  std::vector<std::string> column(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
      throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
    std::vector<std::string> out;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      auto text = sqlite3_column_text(st, 0);
      out.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
    return out;
  }
  int64_t integer(const std::string& sql) { return std::stoll(column(sql).at(0)); }
  std::string integrity() {
    auto rows = column("PRAGMA integrity_check");
    std::string joined;
    for (const auto& r : rows) joined += (joined.empty() ? "" : "; ") + r;
    return joined;
  }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace dbg::coord::test::faults
