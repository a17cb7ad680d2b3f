#include "coordinator/store/database.hpp"

#include <sqlite3.h>

#include <memory>

#include "coordinator/logging/log.hpp"
#include "coordinator/store/store_error.hpp"

namespace dbg::coord::store {

namespace {

// How long a statement waits for another connection's lock before SQLITE_BUSY. Long enough for
// a second dbgcoord migrating the same file, short enough to fail visibly.
constexpr int kBusyTimeoutMs = 5000;

struct StatementDeleter {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

}  // namespace

Database Database::open(const std::filesystem::path& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  // sqlite3_open_v2 allocates a handle even on failure (to carry the message); the Database
  // owns it from here, so it is closed on every path.
  Database db(raw, path);
  if (rc != SQLITE_OK) {
    std::string message = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    throw StoreError("cannot open database " + path.string() + ": " + message);
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  // WAL: readers never block the writer and vice versa, which the API relies on once queries
  // and the writer thread run at the same time. synchronous stays FULL (the default) because
  // what the API acknowledged must survive a power cut.
  std::string mode = db.query_text("PRAGMA journal_mode=WAL");
  if (mode != "wal") {
    throw StoreError("cannot switch database " + path.string() + " to WAL mode (it stays in '" + mode +
                     "' mode); WAL needs a local file system with shared memory support");
  }
  db.exec("PRAGMA foreign_keys=ON");
  return db;
}

Database::Database(Database&& other) noexcept : db_(other.db_), path_(std::move(other.path_)) { other.db_ = nullptr; }

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    if (db_) sqlite3_close(db_);
    db_ = other.db_;
    path_ = std::move(other.path_);
    other.db_ = nullptr;
  }
  return *this;
}

Database::~Database() {
  // sqlite3_close (not _v2) reports SQLITE_BUSY if a statement is still open: that would be a
  // leak in our code, worth a log line rather than a silent zombie connection.
  if (db_ && sqlite3_close(db_) != SQLITE_OK) {
    DBG_LOG_ERROR("closing database {}: {}", path_.string(), sqlite3_errmsg(db_));
  }
}

void Database::exec(std::string_view sql) {
  std::string text(sql);  // sqlite3_exec needs a NUL-terminated string
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string detail = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    throw StoreError("database " + path_.string() + ": " + detail, rc);
  }
}

// Prepares sql and steps it to its first row; the caller reads column 0.
static Statement first_row(sqlite3* db, const std::filesystem::path& path, std::string_view sql) {
  auto fail = [&](const char* what) {
    return StoreError("database " + path.string() + ": " + what + " '" + std::string(sql) + "': " + sqlite3_errmsg(db));
  };
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr) != SQLITE_OK) throw fail("prepare");
  Statement statement(raw);
  int rc = sqlite3_step(statement.get());
  if (rc == SQLITE_DONE) throw StoreError("database " + path.string() + ": no row from '" + std::string(sql) + "'");
  if (rc != SQLITE_ROW) throw fail("step");
  return statement;
}

std::int64_t Database::query_int(std::string_view sql) {
  auto statement = first_row(db_, path_, sql);
  return sqlite3_column_int64(statement.get(), 0);
}

std::string Database::query_text(std::string_view sql) {
  auto statement = first_row(db_, path_, sql);
  auto text = sqlite3_column_text(statement.get(), 0);
  return text ? std::string(reinterpret_cast<const char*>(text)) : std::string();
}

int Database::user_version() { return static_cast<int>(query_int("PRAGMA user_version")); }

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (done_) return;
  try {
    db_.exec("ROLLBACK");
  } catch (const std::exception& e) {
    // SQLite may already have rolled back on its own (some errors do that, see "Response To
    // Errors Within A Transaction"); nothing is left to undo then.
    DBG_LOG_DEBUG("rollback: {}", e.what());
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace dbg::coord::store
