#pragma once
// Errors from the storage layer. Messages name the file and say what to do: they end up as the
// last line a failing dbgcoord prints.
#include <stdexcept>

namespace dbg::coord::store {

class StoreError : public std::runtime_error {
 public:
  // sqlite_code: SQLite's extended result code when SQLite reported the error (0 otherwise), so
  // callers can tell a full disk (SQLITE_FULL) from a bug without parsing messages.
  explicit StoreError(const std::string& message, int sqlite_code = 0)
      : std::runtime_error(message), sqlite_code_(sqlite_code) {}
  int sqlite_code() const { return sqlite_code_; }

 private:
  int sqlite_code_ = 0;
};

// The database was written by a newer dbgcoord; opening it could misread or damage its data.
class SchemaTooNewError : public StoreError {
 public:
  SchemaTooNewError(const std::string& message, int found, int known)
      : StoreError(message), found_version(found), known_version(known) {}
  int found_version;
  int known_version;
};

}  // namespace dbg::coord::store
