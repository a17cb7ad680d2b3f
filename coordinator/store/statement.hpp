#pragma once
// Prepared statements with RAII finalize, and a per-connection cache of them. The store runs the
// same dozen statements thousands of times; preparing once per connection saves the parse and
// plan on every call.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct sqlite3_stmt;

namespace dbg::coord::store {

class Database;

// One prepared statement. Parameters are 1-based (as in SQLite), columns 0-based. Every failure
// throws StoreError with SQLite's message and the SQL text.
class Statement {
 public:
  Statement(Database& db, std::string_view sql);
  Statement(Statement&&) noexcept = default;
  Statement& operator=(Statement&&) noexcept = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() = default;

  // Text and blobs are copied (SQLITE_TRANSIENT): the caller's buffer may go away before step().
  void bind(int index, std::int64_t value);
  void bind(int index, int value) { bind(index, static_cast<std::int64_t>(value)); }
  void bind(int index, double value);
  void bind(int index, std::string_view value);
  // Without SQLite's copy: the caller keeps the bytes alive and unchanged until the statement is
  // reset (a Lease resets at the end of its scope). For bulk inserts of text already in memory.
  void bind_unowned(int index, std::string_view value);
  void bind(int index, const char* value) { bind(index, std::string_view(value)); }
  void bind(int index, const std::optional<std::string>& value);
  void bind_blob(int index, std::span<const std::uint8_t> value);
  void bind_null(int index);

  // true: a row is ready to read; false: the statement is done.
  bool step();
  // Steps a statement that returns no rows (INSERT, UPDATE, ...).
  void run();
  // Ready to run again, with all parameters unbound.
  void reset();

  bool is_null(int column) const;
  std::int64_t column_int64(int column) const;
  double column_double(int column) const;
  std::string column_text(int column) const;
  std::optional<std::string> column_optional_text(int column) const;
  std::vector<std::uint8_t> column_blob(int column) const;

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* statement) const;
  };
  [[noreturn]] void fail(const char* what) const;

  Database* db_;
  std::unique_ptr<sqlite3_stmt, Finalize> statement_;
};

// Statements of one connection, prepared on first use and kept until the cache is destroyed
// (which must happen before the Database closes: declare the cache after the Database).
class StatementCache {
 public:
  explicit StatementCache(Database& db) : db_(db) {}

  // A cached statement for the duration of a scope; reset on scope exit, so a statement is never
  // left mid-step (an unfinished SELECT would hold a WAL read snapshot open indefinitely).
  class Lease {
   public:
    explicit Lease(Statement& statement) : statement_(&statement) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { statement_->reset(); }
    Statement* operator->() const { return statement_; }
    Statement& operator*() const { return *statement_; }

   private:
    Statement* statement_;
  };

  // Keyed by the SQL text itself.
  Lease get(std::string_view sql);
  std::size_t size() const { return statements_.size(); }

 private:
  Database& db_;
  std::unordered_map<std::string, std::unique_ptr<Statement>> statements_;
};

}  // namespace dbg::coord::store
