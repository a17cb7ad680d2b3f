// The fleet's writes against a real PostgreSQL (postgres_fixture.hpp), below the coordinator:
// the schema applied once by hosts that start together, a batch shipped twice counted once
// (the watermark), hosts_affected counted per new host, samples pruned to the latest few.
#define BOOST_TEST_MODULE coordinator_fleet_writes
#include <boost/test/unit_test.hpp>

#include <thread>

#include "coordinator/fleet/fleet_schema.hpp"
#include "coordinator/fleet/fleet_writes.hpp"
#include "coordinator/fleet/pg.hpp"
#include "postgres_fixture.hpp"

using namespace dbg::coord;
using namespace dbg::coord::test;

namespace {

int newest() { return store::fleet_embedded_migrations().back().version; }

fleet::FleetIdentity identity(const std::string& host, const std::string& database) {
  fleet::FleetIdentity id;
  id.host = host;
  id.boot_id = "boot";
  id.instance = "instance";
  id.version = "test";
  id.labels_json = R"({"role":"db"})";
  id.heartbeat_s = 5;
  id.database_id = database;
  return id;
}

fleet::OutboxRow row(int64_t id, const std::string& signature, int64_t count, bool sample = true) {
  fleet::OutboxRow r;
  r.id = id;
  r.created_at = 1000;
  r.signature = signature;
  r.error_class = "SIGSEGV";
  r.type = "SIGSEGV/SEGV_MAPERR";
  r.message = "invalid read at 0x8";
  r.count = count;
  r.first_seen = 1000 + id;
  r.last_seen = 2000 + id;
  if (sample) r.sample = R"({"frames":[],"context":{"n":)" + std::to_string(id) + "}}";
  return r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(hosts_starting_together_apply_the_schema_once) {
  TempPostgres pg;
  std::vector<std::thread> hosts;
  std::vector<fleet::FleetMigrationOutcome> outcomes(6);
  std::vector<std::string> errors(6);
  for (int i = 0; i < 6; ++i) {
    hosts.emplace_back([&, i] {
      try {
        fleet::PgConnection c(pg.conninfo());
        outcomes[i] = fleet::migrate_fleet(c);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (auto& t : hosts) t.join();
  int applied = 0;
  for (int i = 0; i < 6; ++i) {
    BOOST_TEST(errors[i].empty(), errors[i]);
    if (outcomes[i].from_version == 0) ++applied;
    BOOST_TEST(outcomes[i].to_version == newest());
  }
  BOOST_TEST(applied == 1);
  BOOST_TEST(pg.query("SELECT count(*) FROM fleet_schema_migrations") == std::to_string(newest()));
}

BOOST_AUTO_TEST_CASE(a_newer_schema_is_refused_and_nothing_is_changed) {
  TempPostgres pg;
  fleet::PgConnection c(pg.conninfo());
  fleet::migrate_fleet(c);
  const std::string later = std::to_string(newest() + 1);
  pg.query("INSERT INTO fleet_schema_migrations (version, name) VALUES (" + later + ", 'later')");
  BOOST_CHECK_THROW(fleet::migrate_fleet(c), fleet::FleetSchemaTooNew);
  BOOST_TEST(pg.query("SELECT max(version) FROM fleet_schema_migrations") == later);
}

BOOST_AUTO_TEST_CASE(a_batch_shipped_twice_is_counted_once) {
  TempPostgres pg;
  fleet::PgConnection c(pg.conninfo());
  fleet::migrate_fleet(c);
  const auto a = identity("host-a", "db-a");
  fleet::register_host(c, a);
  std::vector<fleet::OutboxRow> batch{row(1, "aa", 3), row(2, "bb", 1), row(3, "aa", 2, false)};
  auto first = fleet::ship(c, a, batch);
  BOOST_TEST(first.applied == 3u);
  BOOST_TEST(first.skipped == 0u);
  BOOST_TEST(first.through == 3);
  BOOST_TEST(first.events == 6);
  // The same rows again (a lost COMMIT reply, a kill before the local delete) plus one new.
  batch.push_back(row(4, "bb", 5));
  auto second = fleet::ship(c, a, batch);
  BOOST_TEST(second.skipped == 3u);
  BOOST_TEST(second.applied == 1u);
  BOOST_TEST(pg.query("SELECT signature || '=' || count FROM fleet_groups ORDER BY signature") == "aa=5\nbb=6");
  BOOST_TEST(pg.query("SELECT shipped_through FROM fleet_publishers") == "4");
  // first/last seen are the extremes of the rows.
  BOOST_TEST(pg.query("SELECT first_seen || ' ' || last_seen FROM fleet_groups WHERE signature = 'aa'") == "1001 2003");
}

BOOST_AUTO_TEST_CASE(hosts_affected_counts_each_host_once_and_a_new_database_starts_a_new_watermark) {
  TempPostgres pg;
  fleet::PgConnection c(pg.conninfo());
  fleet::migrate_fleet(c);
  fleet::ship(c, identity("host-a", "db-a"), {row(1, "aa", 1)});
  fleet::ship(c, identity("host-a", "db-a"), {row(2, "aa", 1)});
  fleet::ship(c, identity("host-b", "db-b"), {row(1, "aa", 1)});
  // host-a's data directory wiped: a new database id, ids from 1 again, not skipped.
  fleet::ship(c, identity("host-a", "db-a2"), {row(1, "aa", 1)});
  BOOST_TEST(pg.query("SELECT count || ' ' || hosts_affected FROM fleet_groups") == "4 2");
  BOOST_TEST(pg.query("SELECT host || '=' || count FROM fleet_host_groups ORDER BY host") == "host-a=3\nhost-b=1");
}

BOOST_AUTO_TEST_CASE(samples_are_pruned_to_the_latest_per_group_and_host) {
  TempPostgres pg;
  fleet::PgConnection c(pg.conninfo());
  fleet::migrate_fleet(c);
  const auto a = identity("host-a", "db-a");
  for (int64_t i = 1; i <= 12; ++i) fleet::ship(c, a, {row(i, "aa", 1)});
  BOOST_TEST(pg.query("SELECT count(*) FROM fleet_samples") == std::to_string(fleet::kSamplesPerGroupAndHost));
  // The latest ones are kept.
  BOOST_TEST(pg.query("SELECT min((event->'context'->>'n')::int) FROM fleet_samples") ==
             std::to_string(12 - fleet::kSamplesPerGroupAndHost + 1));
}

BOOST_AUTO_TEST_CASE(errors_carry_the_servers_message_and_sqlstate) {
  TempPostgres pg;
  fleet::PgConnection c(pg.conninfo());
  try {
    c.exec("SELECT * FROM no_such_table");
    BOOST_FAIL("no error");
  } catch (const fleet::PgError& e) {
    BOOST_TEST(std::string(e.what()).find("no_such_table") != std::string::npos);
    BOOST_TEST(e.sqlstate() == "42P01");
  }
  // Still usable after a failed statement.
  BOOST_TEST(c.exec("SELECT 1").integer(0, 0) == 1);
  BOOST_CHECK_THROW(fleet::PgConnection("host=/nonexistent port=1 dbname=x"), fleet::PgError);
}

BOOST_AUTO_TEST_CASE(a_nul_in_a_message_or_a_sample_does_not_block_the_batch) {
  TempPostgres pg;
  fleet::PgConnection c(pg.conninfo());
  fleet::migrate_fleet(c);
  auto r = row(1, "aa", 2);
  r.message = std::string("bad\0byte", 8);
  r.sample = R"({"context":{"v":"x\u0000y"}})";
  const auto out = fleet::ship(c, identity("host-a", "db-a"), {r});
  BOOST_TEST(out.applied == 1u);
  // jsonb has no NUL: it arrives as U+FFFD, and the counts are in.
  BOOST_TEST(pg.query("SELECT count FROM fleet_groups") == "2");
  BOOST_TEST(pg.query("SELECT message = 'bad' || U&'\\FFFD' || 'byte' FROM fleet_groups") == "t");
  BOOST_TEST(pg.query("SELECT event->'context'->>'v' = 'x' || U&'\\FFFD' || 'y' FROM fleet_samples") == "t");
}
