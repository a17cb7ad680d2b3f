#include "coordinator/store/statement.hpp"

#include <sqlite3.h>

#include "coordinator/store/database.hpp"
#include "coordinator/store/store_error.hpp"

namespace dbg::coord::store {

void Statement::Finalize::operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }

Statement::Statement(Database& db, std::string_view sql) : db_(&db) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw, &tail);
  statement_.reset(raw);
  if (rc != SQLITE_OK) {
    throw StoreError("database " + db.path().string() + ": prepare '" + std::string(sql) + "': " + sqlite3_errmsg(db.handle()),
                     sqlite3_extended_errcode(db.handle()));
  }
  if (raw == nullptr) throw StoreError("database " + db.path().string() + ": empty statement '" + std::string(sql) + "'");
  // One statement per Statement: trailing SQL would silently never run.
  std::string_view rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
  if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
    throw StoreError("database " + db.path().string() + ": more than one statement in '" + std::string(sql) + "'");
  }
}

void Statement::fail(const char* what) const {
  const char* sql = sqlite3_sql(statement_.get());
  throw StoreError("database " + db_->path().string() + ": " + what + " '" + (sql ? sql : "") +
                   "': " + sqlite3_errmsg(db_->handle()), sqlite3_extended_errcode(db_->handle()));
}

void Statement::bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(statement_.get(), index, value) != SQLITE_OK) fail("bind");
}

void Statement::bind(int index, double value) {
  if (sqlite3_bind_double(statement_.get(), index, value) != SQLITE_OK) fail("bind");
}

void Statement::bind_unowned(int index, std::string_view value) {
  const char* data = value.data() ? value.data() : "";
  if (sqlite3_bind_text64(statement_.get(), index, data, value.size(), SQLITE_STATIC, SQLITE_UTF8) != SQLITE_OK) {
    fail("bind");
  }
}

void Statement::bind(int index, std::string_view value) {
  // A non-null pointer even for "": a null one would bind NULL instead of the empty string.
  const char* data = value.data() ? value.data() : "";
  if (sqlite3_bind_text64(statement_.get(), index, data, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8) != SQLITE_OK) {
    fail("bind");
  }
}

void Statement::bind(int index, const std::optional<std::string>& value) {
  if (value) {
    bind(index, std::string_view(*value));
  } else {
    bind_null(index);
  }
}

void Statement::bind_blob(int index, std::span<const std::uint8_t> value) {
  static const std::uint8_t kEmpty = 0;
  const void* data = value.empty() ? &kEmpty : value.data();
  if (sqlite3_bind_blob64(statement_.get(), index, data, value.size(), SQLITE_TRANSIENT) != SQLITE_OK) fail("bind");
}

void Statement::bind_null(int index) {
  if (sqlite3_bind_null(statement_.get(), index) != SQLITE_OK) fail("bind");
}

bool Statement::step() {
  int rc = sqlite3_step(statement_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail("step");
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  // sqlite3_reset repeats the last step's error code; that error was already thrown by step().
  sqlite3_reset(statement_.get());
  sqlite3_clear_bindings(statement_.get());
}

bool Statement::is_null(int column) const { return sqlite3_column_type(statement_.get(), column) == SQLITE_NULL; }

std::int64_t Statement::column_int64(int column) const { return sqlite3_column_int64(statement_.get(), column); }

double Statement::column_double(int column) const { return sqlite3_column_double(statement_.get(), column); }

std::string Statement::column_text(int column) const {
  const auto* text = sqlite3_column_text(statement_.get(), column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(sqlite3_column_bytes(statement_.get(), column)));
}

std::optional<std::string> Statement::column_optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return column_text(column);
}

std::vector<std::uint8_t> Statement::column_blob(int column) const {
  const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(statement_.get(), column));
  auto size = static_cast<std::size_t>(sqlite3_column_bytes(statement_.get(), column));
  if (data == nullptr) return {};
  return std::vector<std::uint8_t>(data, data + size);
}

StatementCache::Lease StatementCache::get(std::string_view sql) {
  auto it = statements_.find(std::string(sql));
  if (it == statements_.end()) {
    it = statements_.emplace(std::string(sql), std::make_unique<Statement>(db_, sql)).first;
  }
  return Lease(*it->second);
}

}  // namespace dbg::coord::store
