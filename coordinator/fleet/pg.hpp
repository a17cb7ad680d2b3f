#pragma once
// A thin RAII layer over libpq: one PGconn per Connection (PQfinish in the destructor), one
// PGresult per Result (PQclear), parameters always passed out of line (PQexecParams), so no
// value is ever spliced into SQL text. Errors throw PgError with libpq's message, which names
// neither the password nor the URL. Blocking: used only on the fleet's own threads, never on
// the io_context.
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

struct pg_conn;
struct pg_result;

namespace dbg::coord::fleet {

class PgError : public std::runtime_error {
 public:
  PgError(const std::string& message, std::string sqlstate = {})
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
  // "40P01" (deadlock), "40001" (serialization), "" when not from the server.
  const std::string& sqlstate() const { return sqlstate_; }
  bool retryable() const { return sqlstate_ == "40P01" || sqlstate_ == "40001"; }

 private:
  std::string sqlstate_;
};

class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(pg_result* r) : r_(r) {}
  int rows() const;
  int columns() const;
  bool is_null(int row, int column) const;
  std::string_view text(int row, int column) const;  // "" for NULL
  int64_t integer(int row, int column) const;         // 0 for NULL
  double number(int row, int column) const;
  bool boolean(int row, int column) const;  // 't'
  // Rows changed by INSERT/UPDATE/DELETE.
  int64_t affected() const;
  pg_result* raw() const { return r_.get(); }

 private:
  struct Clear {
    void operator()(pg_result* r) const;
  };
  std::unique_ptr<pg_result, Clear> r_;
};

// A parameter: text, or SQL NULL.
using PgParam = std::optional<std::string>;

class PgConnection {
 public:
  // Connects (libpq's blocking connect; connect_timeout added when the setting has none).
  // Throws PgError when the server cannot be reached or refuses.
  explicit PgConnection(const std::string& conninfo, int connect_timeout_s = 5);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement with $1.. parameters; throws PgError on failure.
  PgResult exec(std::string_view sql, const std::vector<PgParam>& params = {});
  // Several statements at once (schema files, BEGIN/COMMIT): no parameters.
  void exec_script(std::string_view sql);
  // Whether the connection is still usable (after a server restart it is not).
  bool ok() const;
  // The socket, for waiting on notifications (LISTEN); -1 when broken.
  int socket() const;
  // Notifications received since the last call (consumes input first). Channel names.
  std::vector<std::string> notifications();

 private:
  pg_conn* conn_ = nullptr;
};

// Runs f inside BEGIN ... COMMIT, ROLLBACK when it throws.
template <typename F>
auto in_transaction(PgConnection& pg, F&& f) {
  pg.exec("BEGIN");
  try {
    if constexpr (std::is_void_v<decltype(f())>) {
      f();
      pg.exec("COMMIT");
    } else {
      auto out = f();
      pg.exec("COMMIT");
      return out;
    }
  } catch (...) {
    try {
      if (pg.ok()) pg.exec("ROLLBACK");
    } catch (...) {
    }
    throw;
  }
}

}  // namespace dbg::coord::fleet
