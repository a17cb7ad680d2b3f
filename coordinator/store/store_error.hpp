#pragma once
// Errors from the storage layer. Messages name the file and say what to do: they end up as the
// last line a failing dbgcoord prints.
#include <stdexcept>

namespace dbg::coord::store {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
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
