#include "coordinator/fleet/fleet.hpp"

#include <chrono>

#include "coordinator/config.hpp"
#include "coordinator/fleet/fleet_metrics.hpp"
#include "coordinator/fleet/publisher.hpp"
#include "coordinator/store/store.hpp"
#include "dbg/clock.hpp"

namespace dbg::coord::fleet {

Fleet::Fleet(const Config& config, store::Store& store)
    : max_bytes_(static_cast<uint64_t>(config.fleet_outbox_mb) << 20),
      hooks_(std::make_shared<HookTarget>(max_bytes_)),
      outbox_(hooks_->outbox),
      identity_(identity_from(config)),
      reads_(config.fleet_db) {
  std::string database, failure;
  store.write(
      [this, &database](store::StatementCache& sql) {
        outbox_.load(sql);
        database = database_id(sql);
      },
      [&failure](Result<void> r) {
        if (!r) failure = r.error().message;
      });
  store.flush();  // the callbacks above have run: `database` and `failure` are set
  if (!failure.empty()) throw std::runtime_error("fleet: cannot prepare the outbox: " + failure);
  identity_.database_id = database;
  PublisherConfig pc;
  pc.conninfo = config.fleet_db;
  pc.identity = identity_;
  publisher_ = std::make_unique<Publisher>(store, outbox_, status_, std::move(pc));
  {
    std::lock_guard lock(hooks_->mutex);
    hooks_->publisher = publisher_.get();
  }
  expose_fleet_state(&outbox_, &status_);
}

Fleet::~Fleet() {
  expose_fleet_state(nullptr, nullptr);
  {
    std::lock_guard lock(hooks_->mutex);
    hooks_->publisher = nullptr;
  }
  publisher_.reset();
}

void Fleet::HookTarget::wake() {
  std::lock_guard lock(mutex);
  if (publisher) publisher->wake();
}

errors::BatchHook Fleet::batch_hook() {
  return [hooks = hooks_](store::StatementCache& sql, const errors::PreparedBatch& events,
                          const errors::BatchOutcome& outcome) {
    hooks->outbox.append(sql, events, outcome, unix_time_ms());
    hooks->wake();
  };
}

std::function<void(store::StatementCache&, const std::string&, const std::string&)> Fleet::session_hook() {
  return [hooks = hooks_](store::StatementCache& sql, const std::string& session_id, const std::string& status) {
    // Progress saves of a running session are not the fleet's business; its end is.
    if (status != "done" && status != "failed" && status != "cancelled") return;
    hooks->outbox.append_session(sql, session_id, status, unix_time_ms());
    hooks->wake();
  };
}

nlohmann::json Fleet::status() const {
  nlohmann::json out = status_.to_json();
  const auto o = outbox_.stats();
  out["host"] = identity_.host;
  out["database_id"] = identity_.database_id;
  out["outbox"] = {{"rows", o.rows}, {"bytes", o.bytes}, {"max_bytes", max_bytes_},
                   {"samples_dropped", o.samples_dropped}, {"full", o.bytes >= max_bytes_}};
  return out;
}

}  // namespace dbg::coord::fleet
