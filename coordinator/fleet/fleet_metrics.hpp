#pragma once
// The fleet's instruments in the coordinator's registry (/metrics, /api/v1/stats).
#include "coordinator/metrics/registry.hpp"

namespace dbg::coord::fleet {

class FleetStatus;
class Outbox;

struct FleetMetrics {
  metrics::Counter& rows_shipped =
      metrics::counter("dbgcoord_fleet_rows_shipped_total", "Outbox rows committed to the fleet database.");
  metrics::Counter& events_shipped = metrics::counter(
      "dbgcoord_fleet_events_shipped_total", "Error events counted in the fleet database (rows carry counts).");
  metrics::Counter& rows_skipped = metrics::counter(
      "dbgcoord_fleet_rows_skipped_total",
      "Outbox rows sent again after a lost reply or a kill and skipped by the fleet database's watermark.");
  metrics::Counter& publish_errors =
      metrics::counter("dbgcoord_fleet_publish_errors_total", "Failed connects, heartbeats and shipments.");
  metrics::Histogram& publish_lag = metrics::histogram(
      "dbgcoord_fleet_publish_lag_seconds", "From an outbox row's write to its COMMIT in the fleet database.",
      {0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300});
};

FleetMetrics& fleet_metrics();

// Adds the gauges read at scrape time (outbox rows/bytes/dropped samples, connection state).
// Once per process; the last registration's objects are shown (one fleet per dbgcoord).
void expose_fleet_state(const Outbox* outbox, const FleetStatus* status);

}  // namespace dbg::coord::fleet
