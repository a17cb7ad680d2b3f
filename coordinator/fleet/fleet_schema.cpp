#include "coordinator/fleet/fleet_schema.hpp"

#include "coordinator/fleet/pg.hpp"

namespace dbg::coord::fleet {

namespace {

// Any constant both sides agree on; "dbgcoord" in ASCII, so it reads as ours in pg_locks.
constexpr const char* kMigrationLock = "7233174836089778020";

}  // namespace

FleetMigrationOutcome migrate_fleet(PgConnection& pg, std::span<const store::Migration> migrations) {
  return in_transaction(pg, [&] {
    // Held to the end of this transaction: a second host waits here, then finds the work done.
    pg.exec("SELECT pg_advisory_xact_lock($1::bigint)", {std::string(kMigrationLock)});
    pg.exec(
        "CREATE TABLE IF NOT EXISTS fleet_schema_migrations ("
        " version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
    const auto current = pg.exec("SELECT coalesce(max(version), 0) FROM fleet_schema_migrations");
    FleetMigrationOutcome out;
    out.from_version = out.to_version = static_cast<int>(current.integer(0, 0));
    const int newest = migrations.empty() ? 0 : migrations.back().version;
    if (out.from_version > newest) {
      throw FleetSchemaTooNew("the fleet database has schema version " + std::to_string(out.from_version) +
                              ", newer than this dbgcoord knows (" + std::to_string(newest) +
                              "): upgrade dbgcoord on this host to publish there");
    }
    for (const auto& m : migrations) {
      if (m.version <= out.from_version) continue;
      pg.exec_script(m.sql);
      pg.exec("INSERT INTO fleet_schema_migrations (version, name) VALUES ($1, $2)",
              {std::to_string(m.version), std::string(m.name)});
      out.to_version = m.version;
    }
    return out;
  });
}

FleetMigrationOutcome migrate_fleet(PgConnection& pg) { return migrate_fleet(pg, store::fleet_embedded_migrations()); }

}  // namespace dbg::coord::fleet
