#pragma once
// A coordinator in a fleet (--fleet-db): the outbox, its publisher and the fleet reads, made
// together. Services holds one when --fleet-db is set (app_services.hpp), declared before the
// error service, whose batches write into the outbox until the service is gone.
#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>

#include "coordinator/errors/error_service.hpp"
#include "coordinator/fleet/fleet_identity.hpp"
#include "coordinator/fleet/fleet_reads.hpp"
#include "coordinator/fleet/fleet_status.hpp"
#include "coordinator/fleet/outbox.hpp"

namespace dbg::coord {
struct Config;
}
namespace dbg::coord::store {
class Store;
}

namespace dbg::coord::fleet {

class Publisher;

class Fleet {
 public:
  // Reads the outbox's totals and the database's fleet id (a store write, waited for), then
  // starts the publisher: connecting happens on its thread, so an unreachable database does
  // not delay the start.
  Fleet(const Config& config, store::Store& store);
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  // For ErrorService::set_batch_hook: the batch's groups into the outbox, in its transaction.
  errors::BatchHook batch_hook();
  // For Store::set_session_saved_hook: a session that ended, into the outbox with its last row.
  std::function<void(store::StatementCache&, const std::string&, const std::string&)> session_hook();
  FleetReads& reads() { return reads_; }
  // {"host", "database_id", "state", "detail", "since_ms", "shipped_through", "outbox":{rows,
  // bytes, max_bytes, samples_dropped}}: /healthz and GET /api/v1/fleet.
  nlohmann::json status() const;
  bool connected() const { return status_.state() == FleetState::connected; }

 private:
  // What the hooks reach: they run inside store writes, which the store may still drain after
  // this object is gone (the store is destroyed after the fleet). The outbox is shared with
  // them; the publisher is reached only while `publisher` is set.
  struct HookTarget {
    explicit HookTarget(uint64_t max_bytes) : outbox(max_bytes) {}
    Outbox outbox;
    std::mutex mutex;
    Publisher* publisher = nullptr;  // under mutex; null once the fleet stops
    void wake();
  };

  const uint64_t max_bytes_;
  std::shared_ptr<HookTarget> hooks_;
  Outbox& outbox_;
  FleetStatus status_;
  FleetIdentity identity_;
  FleetReads reads_;
  std::unique_ptr<Publisher> publisher_;
};

}  // namespace dbg::coord::fleet
