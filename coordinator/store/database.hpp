#pragma once
// RAII owner of one sqlite3 connection. Move-only; closing happens in the destructor. Every
// failure throws StoreError carrying SQLite's message. Not thread-safe: one thread (the future
// writer thread) owns a Database at a time.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

struct sqlite3;

namespace dbg::coord::store {

class Database {
 public:
  // Opens (creating if needed) the file, switches it to WAL, sets a busy timeout and enables
  // foreign keys.
  static Database open(const std::filesystem::path& path);

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Runs one or more statements that return no rows of interest.
  void exec(std::string_view sql);
  // First column of the first row; throws if the statement yields no row.
  std::int64_t query_int(std::string_view sql);
  std::string query_text(std::string_view sql);

  // PRAGMA user_version: the schema version migrations have reached.
  int user_version();

  const std::filesystem::path& path() const { return path_; }
  sqlite3* handle() { return db_; }

 private:
  Database(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
};

// BEGIN IMMEDIATE on construction (the write lock is taken now, so two processes migrating the
// same file serialise instead of one failing with SQLITE_BUSY mid-way); ROLLBACK on destruction
// unless commit() ran.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace dbg::coord::store
