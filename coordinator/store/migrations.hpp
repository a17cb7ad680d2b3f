#pragma once
// Schema migrations: migrations/NNNN_name.sql, embedded at build time (see
// coordinator/embed_migrations.cmake), applied in order. Each file and its
// "PRAGMA user_version = N" run in one BEGIN IMMEDIATE ... COMMIT, so a failing step leaves the
// database at the last good version and a crash mid-way leaves nothing half-applied.
#include <span>
#include <string_view>

namespace dbg::coord::store {

class Database;

struct Migration {
  int version;            // N from the file name; 1, 2, 3, ... without gaps
  std::string_view name;  // "init" for 0001_init.sql
  std::string_view sql;   // must not contain BEGIN/COMMIT: the runner owns the transaction
};

// The migrations compiled into this binary, in version order (generated source).
std::span<const Migration> embedded_migrations();

struct MigrationOutcome {
  int from_version;
  int to_version;
};

// Brings db up to the newest of `migrations`. Throws SchemaTooNewError if the database is
// already past them, StoreError if a step fails (the database then stays at the version before
// that step), std::invalid_argument if `migrations` is not 1..N in order.
MigrationOutcome migrate(Database& db, std::span<const Migration> migrations);

}  // namespace dbg::coord::store
