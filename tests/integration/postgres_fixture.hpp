#pragma once
// A real PostgreSQL for the fleet tests: Debian's postgresql-15 binaries, a cluster made with
// initdb in a temporary directory, listening only on a unix socket in that directory (no TCP
// port, so nothing on the machine can reach it and it collides with no other server). Stopped
// and removed on destruction, also when a test fails half-way. Runs as the `postgres` user
// (postgresql-15 makes it), since PostgreSQL refuses to run as root.
#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>

#include "test_support.hpp"

namespace dbg::coord::test {

inline constexpr const char* kPostgresBin = "/usr/lib/postgresql/15/bin";

class TempPostgres {
 public:
  // initdb + start; `port` only names the socket file (.s.PGSQL.PORT): any number will do.
  explicit TempPostgres(int port = 54329) : port_(port) {
    char pattern[] = "/tmp/dbgcoord-pg-XXXXXX";
    if (!::mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    const passwd* pw = ::getpwnam("postgres");
    if (!pw) throw std::runtime_error("no postgres user: install postgresql-15 (scripts/setup.sh)");
    if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("chown failed");
    as_postgres({std::string(kPostgresBin) + "/initdb", "-D", data(), "-A", "trust", "-U", "postgres", "--no-sync",
                 "-E", "UTF8", "--locale=C"},
                "initdb");
    start();
  }
  ~TempPostgres() {
    try {
      stop();
    } catch (...) {
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TempPostgres(const TempPostgres&) = delete;
  TempPostgres& operator=(const TempPostgres&) = delete;

  void start() {
    // fsync off: a test cluster, thrown away at the end; the tests are about dbgcoord's
    // durability, not PostgreSQL's.
    const std::string options = "-c listen_addresses='' -c unix_socket_directories='" + dir_.string() +
                                "' -c port=" + std::to_string(port_) +
                                " -c fsync=off -c synchronous_commit=off -c max_connections=200";
    as_postgres({std::string(kPostgresBin) + "/pg_ctl", "-D", data(), "-l", (dir_ / "log").string(), "-o", options,
                 "-w", "-t", "60", "start"},
                "pg_ctl start");
    running_ = true;
  }
  // Fast shutdown: clients are disconnected at once, as when a server goes down.
  void stop() {
    if (!running_) return;
    running_ = false;
    as_postgres({std::string(kPostgresBin) + "/pg_ctl", "-D", data(), "-m", "fast", "-w", "-t", "60", "stop"},
                "pg_ctl stop");
  }

  // A libpq conninfo for a dbgcoord (or psql).
  std::string conninfo() const {
    return "host=" + dir_.string() + " port=" + std::to_string(port_) + " dbname=postgres user=postgres";
  }
  // psql -At: the rows of a query, '|' between columns, one per line.
  std::string query(const std::string& sql) const {
    auto r = dbg::test::run_command({"runuser", "-u", "postgres", "--", "/usr/bin/psql", "-X", "-At", "-v",
                                     "ON_ERROR_STOP=1", conninfo(), "-c", sql});
    if (r.exit_code != 0) throw std::runtime_error("psql failed: " + r.err + " (" + sql + ")");
    while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
    return r.out;
  }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::string data() const { return (dir_ / "data").string(); }
  void as_postgres(std::vector<std::string> argv, const char* what) const {
    argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
    auto r = dbg::test::run_command(argv);
    if (r.exit_code != 0) {
      std::string log;
      std::error_code ec;
      if (std::filesystem::exists(dir_ / "log", ec)) log = dbg::test::run_command({"tail", "-n", "20", (dir_ / "log").string()}).out;
      throw std::runtime_error(std::string(what) + " failed: " + r.out + r.err + log);
    }
  }

  int port_;
  std::filesystem::path dir_;
  bool running_ = false;
};

}  // namespace dbg::coord::test
