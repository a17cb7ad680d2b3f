#pragma once
// The fleet's PostgreSQL schema: migrations/fleet/NNNN_name.sql, embedded at build time
// (coordinator/fleet/sources.cmake), applied by whichever host connects first. Every host runs
// migrate_fleet() at each connect; one transaction-scoped advisory lock makes hosts that start
// together take turns, so each step is applied once and a host never sees half a schema.
#include <span>
#include <stdexcept>
#include <string>

#include "coordinator/store/migrations.hpp"

namespace dbg::coord::store {
// Generated from migrations/fleet/ (embed_migrations.cmake).
std::span<const Migration> fleet_embedded_migrations();
}  // namespace dbg::coord::store

namespace dbg::coord::fleet {

class PgConnection;

// The fleet database was migrated by a newer dbgcoord than this one: its tables may mean
// something this version does not know, so it publishes nothing there.
class FleetSchemaTooNew : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct FleetMigrationOutcome {
  int from_version = 0;
  int to_version = 0;
};

// Brings the fleet database up to `migrations` (default: the embedded ones). Throws
// FleetSchemaTooNew when it is past them, PgError when a step fails (rolled back whole).
FleetMigrationOutcome migrate_fleet(PgConnection& pg, std::span<const store::Migration> migrations);
FleetMigrationOutcome migrate_fleet(PgConnection& pg);

}  // namespace dbg::coord::fleet
