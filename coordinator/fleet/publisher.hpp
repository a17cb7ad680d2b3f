#pragma once
// The publisher: one thread of its own (libpq blocks; never the io_context's threads) that
// connects to the fleet database, applies its schema, registers this host, heartbeats, and ships
// the outbox in batches.
//
// Nothing here can refuse or slow a local request: a fleet database that is down, slow or wrong
// only changes FleetStatus (/healthz "degraded"), the log (a line per change of state, not per
// retry) and /metrics, while the outbox keeps the changes (bounded, outbox.hpp). Reconnects back
// off from 1 s to 30 s.
//
// Exactly once: rows are claimed in id order and shipped with the publisher's watermark in one
// PostgreSQL transaction (fleet_writes.hpp); only after that COMMIT are they deleted locally. A
// kill or a lost reply in between re-sends rows the watermark then skips.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>

#include "coordinator/fleet/fleet_identity.hpp"

namespace dbg::coord::store {
class Store;
}

namespace dbg::coord::fleet {

class Outbox;
class FleetStatus;

struct PublisherConfig {
  std::string conninfo;  // --fleet-db (never logged: redacted_fleet_db)
  FleetIdentity identity;
  std::size_t batch_rows = 2000;
  // How long an idle publisher sleeps when nothing wakes it (a missed wake costs this much lag).
  std::chrono::milliseconds idle_poll{250};
  std::chrono::seconds max_backoff{30};
};

class Publisher {
 public:
  // Starts the thread. The store and the outbox must outlive the publisher.
  Publisher(store::Store& store, Outbox& outbox, FleetStatus& status, PublisherConfig config);
  // Stops the thread (a call in progress finishes, bounded by libpq's connect_timeout).
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // New rows are committed (or about to be): ship without waiting for the idle poll. Any thread.
  void wake();

 private:
  void run();
  // Waits up to `d` or until woken / stopping; true when stopping.
  bool sleep_for(std::chrono::milliseconds d);

  store::Store& store_;
  Outbox& outbox_;
  FleetStatus& status_;
  const PublisherConfig config_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false, stopping_ = false;
  std::thread thread_;
};

}  // namespace dbg::coord::fleet
