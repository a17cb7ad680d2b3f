#include "coordinator/fleet/fleet_tasks.hpp"

#include <poll.h>
#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <memory>

#include <nlohmann/json.hpp>

#include "coordinator/fleet/local_run.hpp"
#include "coordinator/fleet/pg.hpp"
#include "coordinator/logging/log.hpp"

namespace dbg::coord::fleet {

namespace {

using namespace std::chrono_literals;

// The oldest queued task of this host whose session is still within its deadline.
constexpr const char* kClaim = R"sql(
UPDATE fleet_tasks t SET state = 'running', claimed_at = now()
FROM fleet_sessions s
WHERE s.id = t.session_id AND (t.session_id, t.host) IN (
  SELECT q.session_id, q.host FROM fleet_tasks q JOIN fleet_sessions qs ON qs.id = q.session_id
  WHERE q.host = $1 AND q.state = 'queued' AND qs.created_at + make_interval(secs => qs.deadline_s) > now()
  ORDER BY qs.created_at LIMIT 1 FOR UPDATE OF q SKIP LOCKED)
RETURNING t.session_id, s.kind, s.targets::text, s.options::text,
  extract(epoch FROM (s.created_at + make_interval(secs => s.deadline_s) - now()))::float8
)sql";

constexpr const char* kFinish = R"sql(
UPDATE fleet_tasks SET state = $3, result = $4::jsonb, error = $5, local_session_id = $6, finished_at = now()
WHERE session_id = $1 AND host = $2
)sql";

// Waits for a notification (or the poll interval) on the connection's socket.
void wait_for_notification(PgConnection& pg, std::chrono::milliseconds timeout) {
  pollfd p{pg.socket(), POLLIN, 0};
  if (p.fd < 0) return;
  ::poll(&p, 1, static_cast<int>(timeout.count()));
  pg.notifications();  // consumed: the claim below looks at the table, not at the payload
}

}  // namespace

FleetTasks::FleetTasks(std::string conninfo, std::string host, sessions::Scheduler& scheduler, store::Store& store)
    : conninfo_(std::move(conninfo)),
      host_(std::move(host)),
      scheduler_(scheduler),
      store_(store),
      thread_([this] { run(); }) {}

FleetTasks::~FleetTasks() {
  stopping_ = true;
  thread_.join();
}

void FleetTasks::run() {
  pthread_setname_np(pthread_self(), "dbg-fleet-task");
  std::unique_ptr<PgConnection> pg;
  auto backoff = 1000ms;
  const LocalRun local{scheduler_, store_, [this] { return stopping_.load(); }};
  while (!stopping_) {
    try {
      if (!pg || !pg->ok()) {
        pg = std::make_unique<PgConnection>(conninfo_);
        pg->exec(std::string("LISTEN ") + kTasksChannel);
        backoff = 1000ms;
      }
      auto claimed = pg->exec(kClaim, {host_});
      if (claimed.rows() == 0) {
        wait_for_notification(*pg, 1000ms);
        continue;
      }
      const std::string session(claimed.text(0, 0));
      nlohmann::json request = {{"kind", claimed.text(0, 1)},
                                {"targets", nlohmann::json::parse(claimed.text(0, 2))},
                                {"options", nlohmann::json::parse(claimed.text(0, 3))}};
      const double left_s = std::max(0.0, claimed.number(0, 4));
      DBG_LOG_INFO("fleet: running task of fleet session {} ({} s left)", session, static_cast<int>(left_s));
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(left_s * 1000));
      auto result = run_locally(local, request, deadline);
      if (result) {
        const std::string local_id = result.value().value("local_session_id", "");
        pg->exec(kFinish, {session, host_, std::string("done"), result.value().dump(), std::nullopt, local_id});
      } else {
        pg->exec(kFinish, {session, host_, std::string("failed"), std::nullopt, result.error().message, std::nullopt});
      }
    } catch (const std::exception& e) {
      // The publisher reports the fleet's state; this thread only retries, quietly.
      DBG_LOG_DEBUG("fleet: task runner: {}", e.what());
      pg.reset();
      for (auto slept = 0ms; slept < backoff && !stopping_; slept += 100ms) std::this_thread::sleep_for(100ms);
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, 30s);
    }
  }
}

}  // namespace dbg::coord::fleet
