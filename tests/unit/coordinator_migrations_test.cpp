#define BOOST_TEST_MODULE coordinator_migrations
#include <boost/test/unit_test.hpp>
// Unit test of the migration runner and the Database wrapper, on files in a temp directory.
#include <stdexcept>
#include <vector>

#include "coordinator/store/database.hpp"
#include "coordinator/store/migrations.hpp"
#include "coordinator/store/store_error.hpp"
#include "coordinator_test_client.hpp"

using namespace dbg::coord::store;
using dbg::coord::test::TempDir;

namespace {

const std::vector<Migration> kTwoSteps = {
    {1, "one", "CREATE TABLE a (x INTEGER);"},
    {2, "two", "CREATE TABLE b (y INTEGER); INSERT INTO b VALUES (7);"},
};

}  // namespace

BOOST_AUTO_TEST_CASE(embedded_migrations_are_numbered_from_1_without_gaps) {
  auto migrations = embedded_migrations();
  BOOST_REQUIRE(!migrations.empty());
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    BOOST_TEST(migrations[i].version == static_cast<int>(i + 1));
    BOOST_TEST(!migrations[i].name.empty());
    BOOST_TEST(!migrations[i].sql.empty());
  }
  BOOST_TEST(migrations[0].name == "init");
}

BOOST_AUTO_TEST_CASE(embedded_migrations_apply_to_an_empty_database_twice) {
  TempDir dir;
  auto path = dir.path() / "t.db";
  auto latest = static_cast<int>(embedded_migrations().size());
  {
    auto db = Database::open(path);
    auto outcome = migrate(db, embedded_migrations());
    BOOST_TEST(outcome.from_version == 0);
    BOOST_TEST(outcome.to_version == latest);
    BOOST_TEST(db.user_version() == latest);
    BOOST_TEST(db.query_text("PRAGMA journal_mode") == "wal");
  }
  auto db = Database::open(path);
  auto outcome = migrate(db, embedded_migrations());
  BOOST_TEST(outcome.from_version == latest);
  BOOST_TEST(outcome.to_version == latest);
  BOOST_TEST(db.query_int("SELECT count(*) FROM meta WHERE key = 'created_at'") == 1);
}

BOOST_AUTO_TEST_CASE(only_newer_steps_run) {
  TempDir dir;
  auto db = Database::open(dir.path() / "t.db");
  migrate(db, std::span(kTwoSteps).first(1));
  BOOST_TEST(db.user_version() == 1);
  auto outcome = migrate(db, kTwoSteps);
  BOOST_TEST(outcome.from_version == 1);
  BOOST_TEST(outcome.to_version == 2);
  BOOST_TEST(db.query_int("SELECT y FROM b") == 7);
}

BOOST_AUTO_TEST_CASE(failing_step_leaves_database_at_last_good_version) {
  TempDir dir;
  auto db = Database::open(dir.path() / "t.db");
  const std::vector<Migration> broken = {
      kTwoSteps[0],
      // The first statement succeeds, the second fails: the whole step must be rolled back.
      {2, "broken", "CREATE TABLE c (z INTEGER); INSERT INTO no_such_table VALUES (1);"},
  };
  try {
    migrate(db, broken);
    BOOST_FAIL("migrate should have thrown");
  } catch (const StoreError& e) {
    std::string message = e.what();
    BOOST_TEST(message.find("broken") != std::string::npos, message);
    BOOST_TEST(message.find("no_such_table") != std::string::npos, message);
  }
  BOOST_TEST(db.user_version() == 1);
  BOOST_TEST(db.query_int("SELECT count(*) FROM sqlite_master WHERE name = 'c'") == 0);
  // The connection is still usable and a fixed step applies.
  auto outcome = migrate(db, kTwoSteps);
  BOOST_TEST(outcome.to_version == 2);
}

BOOST_AUTO_TEST_CASE(newer_database_is_refused_and_left_alone) {
  TempDir dir;
  auto db = Database::open(dir.path() / "t.db");
  db.exec("PRAGMA user_version = 999");
  try {
    migrate(db, kTwoSteps);
    BOOST_FAIL("migrate should have thrown");
  } catch (const SchemaTooNewError& e) {
    BOOST_TEST(e.found_version == 999);
    BOOST_TEST(e.known_version == 2);
    BOOST_TEST(std::string(e.what()).find("999") != std::string::npos);
  }
  BOOST_TEST(db.user_version() == 999);
}

BOOST_AUTO_TEST_CASE(out_of_order_migration_list_is_a_programming_error) {
  TempDir dir;
  auto db = Database::open(dir.path() / "t.db");
  const std::vector<Migration> gap = {{1, "one", "SELECT 1;"}, {3, "three", "SELECT 1;"}};
  BOOST_CHECK_THROW(migrate(db, gap), std::invalid_argument);
  BOOST_TEST(db.user_version() == 0);
}

BOOST_AUTO_TEST_CASE(database_handle_moves_and_queries) {
  TempDir dir;
  auto db = Database::open(dir.path() / "t.db");
  Database moved = std::move(db);
  moved.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('hi');");
  BOOST_TEST(moved.query_text("SELECT v FROM t") == "hi");
  BOOST_CHECK_THROW(moved.query_int("SELECT 1 WHERE 0"), StoreError);
  BOOST_CHECK_THROW(moved.exec("NOT SQL"), StoreError);
}

BOOST_AUTO_TEST_CASE(open_in_missing_directory_throws_store_error) {
  BOOST_CHECK_THROW(Database::open("/nonexistent-dir-for-dbgcoord-test/x.db"), StoreError);
}
