// The two families Prometheus needs beyond the registry's: dbgcoord_host_info (its labels, and
// label_<k> for --host-labels) and dbgcoord_error_groups_open counted by kind on a real Store (a
// SQLite file in a temporary directory), with resolved and ignored groups left out.
#define BOOST_TEST_MODULE coordinator_prometheus_unit
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>
#include <future>

#include "coordinator/errors/error_rows.hpp"
#include "coordinator/errors/open_groups.hpp"
#include "coordinator/fleet/fleet_settings.hpp"
#include "coordinator/metrics/host_info.hpp"
#include "coordinator/metrics/registry.hpp"
#include "coordinator/store/statement.hpp"
#include "coordinator/store/store.hpp"
#include "temp_store.hpp"

using namespace dbg::coord;

namespace {

using StoreFixture = dbg::coord::test::TempStore;

// A group row as the ingest makes it (status open), of this error class.
int64_t group_of(store::StatementCache& sql, const std::string& signature, const std::string& error_class) {
  return errors::insert_group(sql, errors::NewGroupRow{signature, error_class, error_class + "/x", "boom",
                                                       errors::intern_stack(sql, "[]"), "[]", 1000});
}

int64_t count_of(const errors::OpenGroupCounts& c, std::string_view kind) {
  for (std::size_t i = 0; i < errors::kOpenGroupKinds.size(); ++i) {
    if (errors::kOpenGroupKinds[i] == kind) return c.by_kind[i];
  }
  BOOST_FAIL("no such kind");
  return -1;
}

}  // namespace

BOOST_AUTO_TEST_CASE(host_info_names_the_host_and_prefixes_its_labels) {
  metrics::HostIdentity id{"db-7", "1.2.3", "b00t", fleet::parse_host_labels("role=db,zone=eu_1")};
  const metrics::Labels want{{"host", "db-7"},       {"version", "1.2.3"},     {"boot_id", "b00t"},
                             {"label_role", "db"}, {"label_zone", "eu_1"}};
  BOOST_TEST((metrics::host_info_labels(id) == want));

  metrics::Exposition out;
  metrics::write_host_info(out, id);
  BOOST_TEST(out.text().find("# TYPE dbgcoord_host_info gauge\n") != std::string::npos);
  BOOST_TEST(out.text().find("dbgcoord_host_info{host=\"db-7\",version=\"1.2.3\",boot_id=\"b00t\","
                             "label_role=\"db\",label_zone=\"eu_1\"} 1\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(host_info_without_labels_has_three) {
  metrics::HostIdentity id{"a", "0.1", "x", {}};
  BOOST_TEST(metrics::host_info_labels(id).size() == 3u);
}

BOOST_AUTO_TEST_CASE(open_groups_are_counted_by_kind_and_closed_ones_are_not) {
  StoreFixture f;
  errors::OpenGroupCounts counts;
  bool closed = false;
  const auto written = f.write([&](store::StatementCache& sql) {
    group_of(sql, "s1", "SIGSEGV");
    group_of(sql, "s2", "SIGABRT");
    group_of(sql, "s3", "crash");  // a watch event without a type
    const auto resolved = group_of(sql, "s4", "SIGBUS");
    const auto ignored = group_of(sql, "s5", "SIGFPE");
    group_of(sql, "s6", "exit");
    group_of(sql, "s7", "DEADLOCK");
    group_of(sql, "s8", "BUSY_HANG");
    group_of(sql, "s9", "ValueError");
    group_of(sql, "s10", "SIG");    // no signal after the prefix: an application's type
    group_of(sql, "s11", "sigsegv");  // the signature keeps signal names upper case
    const auto closed_reported = group_of(sql, "s12", "KeyError");
    closed = errors::update_group_status(sql, resolved, errors::GroupStatus::resolved, 2000) &&
             errors::update_group_status(sql, ignored, errors::GroupStatus::ignored, 2000) &&
             errors::update_group_status(sql, closed_reported, errors::GroupStatus::resolved, 2000);
    counts = errors::select_open_groups(sql);
  });
  BOOST_REQUIRE(written.ok());
  BOOST_REQUIRE(closed);  // asserted here, not on the store's thread
  BOOST_TEST(count_of(counts, "crash") == 3);
  BOOST_TEST(count_of(counts, "exit") == 1);
  BOOST_TEST(count_of(counts, "deadlock") == 1);
  BOOST_TEST(count_of(counts, "hang") == 1);
  BOOST_TEST(count_of(counts, "reported") == 3);

  metrics::Exposition out;
  errors::write_open_groups(out, counts);
  BOOST_TEST(out.text().find("# TYPE dbgcoord_error_groups_open gauge\n") != std::string::npos);
  BOOST_TEST(out.text().find("dbgcoord_error_groups_open{kind=\"crash\"} 3\n") != std::string::npos);
  BOOST_TEST(out.text().find("dbgcoord_error_groups_open{kind=\"reported\"} 3\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_empty_database_shows_every_kind_at_zero) {
  StoreFixture f;
  errors::OpenGroupCounts counts;
  counts.by_kind.fill(-1);
  BOOST_REQUIRE(f.write([&](store::StatementCache& sql) { counts = errors::select_open_groups(sql); }).ok());
  metrics::Exposition out;
  errors::write_open_groups(out, counts);
  for (auto kind : errors::kOpenGroupKinds) {
    BOOST_TEST(count_of(counts, kind) == 0);
    BOOST_TEST(out.text().find("dbgcoord_error_groups_open{kind=\"" + std::string(kind) + "\"} 0\n") !=
               std::string::npos);
  }
}
