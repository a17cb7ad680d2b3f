// The fleet settings' checks (coordinator/fleet/fleet_settings.hpp): what --fleet-db, --host-name
// and --host-labels accept and refuse, and what a log may show of --fleet-db.
#define BOOST_TEST_MODULE coordinator_fleet_settings
#include <boost/test/unit_test.hpp>

#include "coordinator/config.hpp"
#include "coordinator/fleet/fleet_settings.hpp"

using namespace dbg::coord;
using namespace dbg::coord::fleet;

BOOST_AUTO_TEST_CASE(fleet_db_takes_urls_and_conninfos_and_never_repeats_the_value) {
  BOOST_TEST(!check_fleet_db("postgresql://dbgcoord@pg.example.org/fleet?sslmode=verify-full"));
  BOOST_TEST(!check_fleet_db("postgres://u:pw@10.0.0.5:5433/fleet"));
  BOOST_TEST(!check_fleet_db("host=/run/postgresql dbname=fleet user=dbgcoord"));
  for (const char* bad : {"", "mysql://u:hunter2@db/fleet", "just-a-word", "host=a\ndbname=b"}) {
    auto why = check_fleet_db(bad);
    BOOST_TEST_CONTEXT(bad) {
      BOOST_REQUIRE(why.has_value());
      BOOST_TEST(why->find("hunter2") == std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(redaction_keeps_where_and_drops_every_secret) {
  BOOST_TEST(redacted_fleet_db("postgresql://dbg:S3cret@pg.example.org:5433/fleet?sslmode=require&password=x") ==
             "postgresql://dbg:***@pg.example.org:5433/fleet?...");
  BOOST_TEST(redacted_fleet_db("postgresql://dbg@pg/fleet") == "postgresql://dbg@pg/fleet");
  // A password holding '@' does not leak its tail.
  BOOST_TEST(redacted_fleet_db("postgresql://dbg:p@ss@pg/fleet") == "postgresql://dbg:***@pg/fleet");
  BOOST_TEST(redacted_fleet_db("host=/run/postgresql port=5432 dbname=fleet user=dbg password=S3cret sslkey=/k") ==
             "host=/run/postgresql port=5432 dbname=fleet user=dbg");
  BOOST_TEST(redacted_fleet_db("password=S3cret") == "(conninfo)");
}

BOOST_AUTO_TEST_CASE(host_names_and_labels_are_checked_and_parsed) {
  BOOST_TEST(!check_host_name("web-17.eu1_a"));
  for (const char* bad : {"", "-web", ".web", "web 17", "web/17", "wéb"}) BOOST_TEST(check_host_name(bad).has_value(), bad);
  BOOST_TEST(check_host_name(std::string(254, 'a')).has_value());

  BOOST_TEST(!check_host_labels(""));
  BOOST_TEST(!check_host_labels("role=db,zone=eu-1"));
  for (const char* bad : {"role", "Role=db", "1role=db", "role=", "role=a=b", "role=db,role=web", "role=a b",
                          "role=\"db\""})
    BOOST_TEST(check_host_labels(bad).has_value(), bad);
  const auto labels = parse_host_labels("role=db,zone=eu-1");
  BOOST_TEST(labels.size() == 2u);
  BOOST_TEST(labels.at("role") == "db");
  BOOST_TEST(labels.at("zone") == "eu-1");
}

BOOST_AUTO_TEST_CASE(the_host_name_is_the_flags_else_the_systems) {
  Config config;
  config.host_name = "given";
  BOOST_TEST(host_name(config) == "given");
  config.host_name.clear();
  const std::string system = host_name(config);
  BOOST_TEST(!system.empty());
  BOOST_TEST(!check_host_name(system));
  BOOST_TEST(!boot_id().empty());
}
