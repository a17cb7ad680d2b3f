#include "coordinator/fleet/publisher.hpp"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string_view>

#include "coordinator/fleet/fleet_metrics.hpp"
#include "coordinator/fleet/fleet_schema.hpp"
#include "coordinator/fleet/fleet_settings.hpp"
#include "coordinator/fleet/fleet_status.hpp"
#include "coordinator/fleet/fleet_writes.hpp"
#include "coordinator/fleet/local_run.hpp"
#include "coordinator/fleet/outbox.hpp"
#include "coordinator/fleet/pg.hpp"
#include "coordinator/logging/log.hpp"
#include "coordinator/store/store.hpp"
#include "dbg/clock.hpp"

namespace dbg::coord::fleet {

namespace {

// The store's read, waited for: this thread has nothing else to do meanwhile.
std::vector<OutboxRow> claim_rows(store::Store& store, Outbox& outbox, int64_t after, std::size_t limit) {
  auto done = std::make_shared<std::promise<std::vector<OutboxRow>>>();
  auto result = done->get_future();
  store.read([&outbox, after, limit, done](store::StatementCache& sql) {
    try {
      done->set_value(outbox.claim(sql, after, limit));
    } catch (const std::exception& e) {
      DBG_LOG_ERROR("fleet: reading the outbox failed: {}", e.what());
      done->set_value({});
    }
  });
  return result.get();
}

// The summaries of the claimed "session" rows, from the stored sessions (their snapshots and
// profiles folded), by row id.
std::map<int64_t, std::string> session_summaries(store::Store& store, const std::vector<OutboxRow>& rows,
                                                 const std::function<bool()>& stopping) {
  std::map<int64_t, std::string> out;
  for (const OutboxRow& r : rows) {
    if (r.kind != "session") continue;
    auto done = std::make_shared<std::promise<std::optional<store::SessionRow>>>();
    auto loaded = done->get_future();
    store.load_session(r.signature, [done](std::optional<store::SessionRow> s) { done->set_value(std::move(s)); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (loaded.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
      if (stopping() || std::chrono::steady_clock::now() > deadline) return out;
    }
    auto session = loaded.get();
    if (!session) continue;
    out[r.id] = summarize_session(store, session->body, stopping, deadline).dump();
  }
  return out;
}

// Test hook (coordinator_fleet_test): with DBG_FLEET_TEST_KILL_AFTER_COMMIT=1 the process kills
// itself right after its first COMMIT of rows in PostgreSQL, before their local delete: the
// moment where a kill makes the next start send rows PostgreSQL already has.
bool kill_after_commit() {
  const char* v = std::getenv("DBG_FLEET_TEST_KILL_AFTER_COMMIT");
  return v && std::string_view(v) == "1";
}

}  // namespace

Publisher::Publisher(store::Store& store, Outbox& outbox, FleetStatus& status, PublisherConfig config)
    : store_(store), outbox_(outbox), status_(status), config_(std::move(config)), thread_([this] { run(); }) {}

Publisher::~Publisher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Publisher::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_one();
}

bool Publisher::sleep_for(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, d, [this] { return woken_ || stopping_; });
  woken_ = false;
  return stopping_;
}

void Publisher::run() {
  pthread_setname_np(pthread_self(), "dbg-fleet");
  auto& m = fleet_metrics();
  const FleetIdentity& id = config_.identity;
  const std::string where = redacted_fleet_db(config_.conninfo);
  std::unique_ptr<PgConnection> pg;
  std::chrono::milliseconds backoff{1000};
  auto next_heartbeat = std::chrono::steady_clock::now();
  int64_t shipped = 0;  // local ids up to here are in PostgreSQL (or were before this start)
  // A state change is logged once; retries in the same state are not (a down database for an
  // hour must not fill the journal).
  FleetState logged = FleetState::connecting;
  auto fail = [&](FleetState state, const std::string& why) {
    m.publish_errors.inc();
    pg.reset();
    status_.set(state, why);
    if (logged != state) {
      DBG_LOG_WARN("fleet: {} ({}): {}; this host keeps working alone and ships its backlog later",
                   state == FleetState::refused ? "refused" : "fleet database unreachable", where, why);
      logged = state;
    }
  };
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    if (!pg) {
      try {
        pg = std::make_unique<PgConnection>(config_.conninfo);
        const auto schema = migrate_fleet(*pg);
        register_host(*pg, id);
        status_.set(FleetState::connected);
        DBG_LOG_INFO("fleet: connected to {} as host {} (schema version {}{})", where, id.host, schema.to_version,
                     schema.to_version != schema.from_version ? ", migrated now" : "");
        logged = FleetState::connected;
        backoff = std::chrono::milliseconds(1000);
        next_heartbeat = std::chrono::steady_clock::now() + std::chrono::seconds(id.heartbeat_s);
      } catch (const FleetSchemaTooNew& e) {
        // Waiting longer: only an upgrade of this host (or a restore of the database) fixes it.
        fail(FleetState::refused, e.what());
        if (sleep_for(std::chrono::milliseconds(config_.max_backoff))) return;
        continue;
      } catch (const std::exception& e) {
        fail(FleetState::unreachable, e.what());
        if (sleep_for(backoff)) return;
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, config_.max_backoff);
        continue;
      }
    }
    try {
      if (std::chrono::steady_clock::now() >= next_heartbeat) {
        if (!heartbeat(*pg, id)) register_host(*pg, id);
        next_heartbeat = std::chrono::steady_clock::now() + std::chrono::seconds(id.heartbeat_s);
      }
      auto rows = claim_rows(store_, outbox_, shipped, config_.batch_rows);
      if (rows.empty()) {
        const auto until_heartbeat = std::chrono::duration_cast<std::chrono::milliseconds>(
            next_heartbeat - std::chrono::steady_clock::now());
        if (sleep_for(std::clamp(until_heartbeat, std::chrono::milliseconds(1), config_.idle_poll))) return;
        continue;
      }
      const auto summaries = session_summaries(store_, rows, [this] {
        std::lock_guard lock(mutex_);
        return stopping_;
      });
      const ShipOutcome out = ship(*pg, id, rows, summaries);
      if (out.applied > 0 && kill_after_commit()) ::raise(SIGKILL);
      const int64_t now = unix_time_ms();
      for (const OutboxRow& r : rows) {
        m.publish_lag.observe(static_cast<double>(std::max<int64_t>(0, now - r.created_at)) / 1000.0);
      }
      m.rows_shipped.inc(out.applied);
      m.rows_skipped.inc(out.skipped);
      m.events_shipped.inc(static_cast<uint64_t>(out.events));
      shipped = out.through;
      status_.shipped(shipped);
      // Deleted after the COMMIT above; if this write is lost to a kill, the next start sends
      // the rows again and the watermark skips them.
      const int64_t through = out.through;
      store_.write([this, through](store::StatementCache& sql) { outbox_.remove_through(sql, through); },
                   [](Result<void> r) {
                     if (!r) DBG_LOG_WARN("fleet: deleting shipped outbox rows failed: {}", r.error().message);
                   });
      // More may be waiting: go round at once (a full batch) or after the idle poll.
      if (rows.size() < config_.batch_rows && sleep_for(std::chrono::milliseconds(20))) return;
    } catch (const PgError& e) {
      if (e.retryable()) continue;  // a deadlock or serialization failure: the same rows again
      fail(FleetState::unreachable, e.what());
    } catch (const std::exception& e) {
      fail(FleetState::unreachable, e.what());
    }
  }
}

}  // namespace dbg::coord::fleet
