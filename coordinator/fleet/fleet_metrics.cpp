#include "coordinator/fleet/fleet_metrics.hpp"

#include <atomic>

#include "coordinator/fleet/fleet_status.hpp"
#include "coordinator/fleet/outbox.hpp"

namespace dbg::coord::fleet {

namespace {

std::atomic<const Outbox*> g_outbox{nullptr};
std::atomic<const FleetStatus*> g_status{nullptr};

}  // namespace

FleetMetrics& fleet_metrics() {
  static FleetMetrics m;
  return m;
}

void expose_fleet_state(const Outbox* outbox, const FleetStatus* status) {
  g_outbox = outbox;
  g_status = status;
  static const bool collector = [] {
    metrics::global().add_collector([](metrics::Exposition& out) {
      const Outbox* o = g_outbox.load();
      const FleetStatus* s = g_status.load();
      if (!o || !s) return;  // not in a fleet, or the fleet is gone (shutdown)
      const auto stats = o->stats();
      out.gauge("dbgcoord_fleet_outbox_rows", "Outbox rows not yet shipped to the fleet database.",
                static_cast<double>(stats.rows));
      out.gauge("dbgcoord_fleet_outbox_bytes", "Bytes of the outbox rows counted against --fleet-outbox-mb.",
                static_cast<double>(stats.bytes));
      out.counter("dbgcoord_fleet_samples_dropped_total",
                "Sample events dropped because the outbox was full (their counts were kept).",
                static_cast<double>(stats.samples_dropped));
      out.gauge("dbgcoord_fleet_connected", "1 while registered with the fleet database and shipping.",
                s->state() == FleetState::connected ? 1 : 0);
    });
    return true;
  }();
  (void)collector;
}

}  // namespace dbg::coord::fleet
