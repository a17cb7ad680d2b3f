// The metrics registry: exposition in the Prometheus text format (HELP/TYPE once per family,
// cumulative buckets ending in +Inf, _sum/_count, escaped label values), idempotent
// registration, refusal of bad names, quantile estimates, and the /proc status parser.
#define BOOST_TEST_MODULE coordinator_metrics
#include <boost/test/unit_test.hpp>

#include <string>

#include "coordinator/metrics/process_stats.hpp"
#include "coordinator/metrics/registry.hpp"
#include "coordinator/metrics/session_debug.hpp"
#include "dbg/snapshot.hpp"

using namespace dbg::coord::metrics;

namespace {
bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
}  // namespace

BOOST_AUTO_TEST_CASE(counters_gauges_and_families_in_text_format) {
  Registry r;
  auto& c = r.counter("dbgcoord_things_total", "Things.");
  c.inc();
  c.inc(4);
  r.gauge("dbgcoord_level", "A level.").set(2.5);
  auto& f = r.counter_family("dbgcoord_requests_total", "Requests.", {"route", "code"});
  f.with({"/a/{id}", "2xx"}).inc(3);
  f.with({"quote\"back\\slash\nline", "5xx"}).inc();
  auto text = r.expose();
  BOOST_TEST_MESSAGE(text);
  BOOST_TEST(contains(text, "# HELP dbgcoord_things_total Things.\n# TYPE dbgcoord_things_total counter\ndbgcoord_things_total 5\n"));
  BOOST_TEST(contains(text, "# TYPE dbgcoord_level gauge\ndbgcoord_level 2.5\n"));
  BOOST_TEST(contains(text, "dbgcoord_requests_total{route=\"/a/{id}\",code=\"2xx\"} 3\n"));
  BOOST_TEST(contains(text, "code=\"5xx\"} 1\n"));
  BOOST_TEST(contains(text, "route=\"quote\\\"back\\\\slash\\nline\""));
  // One HELP per family however many children.
  BOOST_TEST(text.find("# HELP dbgcoord_requests_total") == text.rfind("# HELP dbgcoord_requests_total"));
}

BOOST_AUTO_TEST_CASE(histogram_buckets_are_cumulative_with_inf_sum_and_count) {
  Registry r;
  auto& h = r.histogram("dbgcoord_pause_seconds", "Pauses.", {0.001, 0.01, 0.1});
  h.observe(0.0005);
  h.observe(0.001);  // le is inclusive
  h.observe(0.05);
  h.observe(3);
  auto text = r.expose();
  BOOST_TEST_MESSAGE(text);
  BOOST_TEST(contains(text, "# TYPE dbgcoord_pause_seconds histogram\n"));
  BOOST_TEST(contains(text, "dbgcoord_pause_seconds_bucket{le=\"0.001\"} 2\n"));
  BOOST_TEST(contains(text, "dbgcoord_pause_seconds_bucket{le=\"0.01\"} 2\n"));
  BOOST_TEST(contains(text, "dbgcoord_pause_seconds_bucket{le=\"0.1\"} 3\n"));
  BOOST_TEST(contains(text, "dbgcoord_pause_seconds_bucket{le=\"+Inf\"} 4\n"));
  BOOST_TEST(contains(text, "dbgcoord_pause_seconds_sum 3.0515\n"));
  BOOST_TEST(contains(text, "dbgcoord_pause_seconds_count 4\n"));
}

BOOST_AUTO_TEST_CASE(quantiles_interpolate_inside_buckets_and_cap_at_the_max) {
  Histogram h({10, 20, 40});
  BOOST_TEST(h.snapshot().quantile(0.5) == 0);  // empty
  for (int i = 0; i < 100; ++i) h.observe(15);  // all in (10, 20]
  auto s = h.snapshot();
  BOOST_TEST(s.count == 100u);
  BOOST_TEST(s.mean() == 15);
  BOOST_TEST(s.max == 15);
  BOOST_TEST(s.quantile(0.5) == 15);  // interpolated 15, capped by the max
  h.observe(1000);
  s = h.snapshot();
  BOOST_TEST(s.quantile(1.0) == 1000);  // +Inf bucket: the exact max
  BOOST_TEST(s.quantile(0.1) > 10);
  BOOST_TEST(s.quantile(0.1) <= 15);
}

BOOST_AUTO_TEST_CASE(registration_is_idempotent_and_bad_names_are_refused) {
  Registry r;
  auto& a = r.counter("dbgcoord_x_total", "X.");
  auto& b = r.counter("dbgcoord_x_total", "X.");
  BOOST_TEST(&a == &b);
  BOOST_CHECK_THROW(r.gauge("dbgcoord_x_total", "X as a gauge."), std::invalid_argument);
  BOOST_CHECK_THROW(r.counter("dbgcoord_no_suffix", "Counters end in _total."), std::invalid_argument);
  BOOST_CHECK_THROW(r.gauge("9starts_with_digit", "."), std::invalid_argument);
  BOOST_CHECK_THROW(r.gauge("has-dash", "."), std::invalid_argument);
  BOOST_CHECK_THROW(r.counter_family("dbgcoord_y_total", ".", {"le"}), std::invalid_argument);
  BOOST_CHECK_THROW(r.histogram("dbgcoord_h", ".", {2, 1}), std::invalid_argument);
  auto& fam = r.counter_family("dbgcoord_z_total", ".", {"a"});
  BOOST_CHECK_THROW(fam.with({"1", "2"}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(collectors_add_their_families_after_the_instruments) {
  Registry r;
  r.counter("dbgcoord_a_total", "A.").inc();
  r.add_collector([](Exposition& out) { out.gauge("dbgcoord_feature_cache_entries", "Entries.", 7); });
  auto text = r.expose();
  BOOST_TEST(contains(text, "dbgcoord_feature_cache_entries 7\n"));
  BOOST_TEST(text.find("dbgcoord_a_total") < text.find("dbgcoord_feature_cache_entries"));
}

BOOST_AUTO_TEST_CASE(memory_status_is_parsed_from_proc_status_text) {
  auto m = parse_memory_status("Name:\tx\nVmPeak:\t  9999 kB\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\n");
  BOOST_REQUIRE(m);
  BOOST_TEST(m->rss_bytes == 1024 * 1024);
  BOOST_TEST(m->peak_bytes == 2048 * 1024);
  BOOST_TEST(!parse_memory_status("Name:\tkthread\n"));
  auto self = read_memory();
  BOOST_REQUIRE(self);
  BOOST_TEST(self->rss_bytes > 0);
  BOOST_TEST(self->peak_bytes >= self->rss_bytes);
  BOOST_TEST(process_cpu().total() >= 0);
}

BOOST_AUTO_TEST_CASE(session_debug_aggregates_snapshots) {
  SessionDebug d;
  dbg::Snapshot a;
  a.capture_us = 100;
  a.unwind_us = 900;
  a.threads.resize(2);
  a.threads[0].pause_us = 12;
  a.threads[1].pause_us = 30;
  a.cache = {1, 1, 8, 2};
  dbg::Snapshot b = a;
  b.unwind_us = 100;
  d.add(a);
  d.add(b);
  auto j = to_json(d, 1000, 2000);
  BOOST_TEST(j.at("snapshots") == 2);
  BOOST_TEST(j.at("analysis_us").at("total") == 1200.0);
  BOOST_TEST(j.at("analysis_us").at("mean") == 600.0);
  BOOST_TEST(j.at("analysis_us").at("max") == 1000.0);
  BOOST_TEST(j.at("max_pause_us") == 30.0);
  BOOST_TEST(j.at("cache").at("hits") == 18);
  BOOST_TEST(j.at("cache").at("lookups") == 24);
  BOOST_TEST(j.at("cache").at("hit_rate") == 0.75);
  BOOST_TEST(j.at("end_ms") == 2000);
  BOOST_TEST(to_json(SessionDebug{}, 1, std::nullopt).at("end_ms").is_null());
}
