#define BOOST_TEST_MODULE coordinator_database
#include <boost/test/unit_test.hpp>

#include <filesystem>
// What a real dbgcoord does to DIR/dbgcoord.db, checked with the SQLite C API as the oracle:
// WAL mode, migrations applied once, a newer schema refused.
#include <signal.h>
#include <sqlite3.h>

#include <fstream>

#include "coordinator_test_client.hpp"

using namespace dbg::coord::test;

namespace {

// A plain read-write connection, closed on destruction.
class Db {
 public:
  explicit Db(const std::filesystem::path& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
      throw std::runtime_error("cannot open " + path.string());
    }
  }
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  std::string text(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
      throw std::runtime_error("prepare " + sql + ": " + sqlite3_errmsg(db_));
    }
    std::string out;
    if (sqlite3_step(statement) == SQLITE_ROW && sqlite3_column_text(statement, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    }
    sqlite3_finalize(statement);
    return out;
  }
  void exec(const std::string& sql) {
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      throw std::runtime_error("exec " + sql + ": " + sqlite3_errmsg(db_));
    }
  }

 private:
  sqlite3* db_ = nullptr;
};

void stop(Coordinator& c) {
  c.process.signal(SIGTERM);
  BOOST_REQUIRE_EQUAL(exit_code_of(c.process.wait(10s)), 0);
}

}  // namespace

namespace {
// The newest schema version is the number of migrations/NNNN_*.sql files (numbered 1..N).
std::string newest_schema_version() {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(DBG_SOURCE_DIR) + "/migrations"))
    if (e.path().extension() == ".sql") ++n;
  return std::to_string(n);
}
}  // namespace

BOOST_AUTO_TEST_CASE(fresh_start_creates_wal_database_at_the_newest_schema_version) {
  TempDir dir;
  auto c = start_coordinator_in(dir.path());
  auto file = dir.path() / "dbgcoord.db";
  BOOST_REQUIRE(std::filesystem::exists(file));
  {
    // While the server runs: WAL is a property of the file, visible to any connection.
    Db db(file);
    BOOST_TEST(db.text("PRAGMA user_version") == newest_schema_version());
    BOOST_TEST(db.text("PRAGMA journal_mode") == "wal");
    BOOST_TEST(!db.text("SELECT value FROM meta WHERE key = 'created_at'").empty());
  }
  stop(c);
}

BOOST_AUTO_TEST_CASE(second_start_on_same_dir_keeps_version_and_data) {
  TempDir dir;
  auto file = dir.path() / "dbgcoord.db";
  std::string created_at;
  {
    auto first = start_coordinator_in(dir.path());
    stop(first);
    Db db(file);
    created_at = db.text("SELECT value FROM meta WHERE key = 'created_at'");
  }
  BOOST_REQUIRE(!created_at.empty());
  auto second = start_coordinator_in(dir.path());
  BOOST_TEST(http_request(second.port, "GET", "/healthz").status == 200);
  stop(second);
  Db db(file);
  BOOST_TEST(db.text("PRAGMA user_version") == newest_schema_version());
  // One created_at, not a second one (other keys, such as the error service's fold watermark,
  // may exist).
  BOOST_TEST(db.text("SELECT count(*) FROM meta WHERE key = 'created_at'") == "1");
  BOOST_TEST(db.text("SELECT value FROM meta WHERE key = 'created_at'") == created_at);
}

BOOST_AUTO_TEST_CASE(database_from_newer_version_is_refused_with_exit_1) {
  TempDir dir;
  auto file = dir.path() / "dbgcoord.db";
  {
    Db db(file);
    db.exec("CREATE TABLE future_thing (x INTEGER); PRAGMA user_version = 999;");
  }
  auto result = dbg::test::run_command({"timeout", "20", dbg::test::bin_path("dbgcoord"), "--listen", "127.0.0.1:0",
                                        "--data-dir", dir.path().string()});
  BOOST_TEST(result.exit_code == 1);
  BOOST_TEST(result.out.empty(), "must not start serving, stdout: " << result.out);
  BOOST_TEST(result.err.find("999") != std::string::npos, "stderr: " << result.err);
  BOOST_TEST(result.err.find(file.string()) != std::string::npos, "stderr: " << result.err);
  // Refused means untouched.
  Db db(file);
  BOOST_TEST(db.text("PRAGMA user_version") == "999");
  BOOST_TEST(db.text("SELECT count(*) FROM sqlite_master WHERE name = 'meta'") == "0");
}

BOOST_AUTO_TEST_CASE(file_that_is_not_a_database_is_refused_with_exit_1) {
  TempDir dir;
  { std::ofstream(dir.path() / "dbgcoord.db") << std::string(4096, 'z'); }
  auto result = dbg::test::run_command({"timeout", "20", dbg::test::bin_path("dbgcoord"), "--listen", "127.0.0.1:0",
                                        "--data-dir", dir.path().string()});
  BOOST_TEST(result.exit_code == 1);
  BOOST_TEST(result.err.find("dbgcoord.db") != std::string::npos, "stderr: " << result.err);
}
