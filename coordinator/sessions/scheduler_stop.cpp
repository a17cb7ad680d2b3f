// The coordinator's stop (Scheduler::shutdown) and, at the next start, the sessions a stop or a
// crash cut short (Scheduler::fail_interrupted_sessions).
#include <boost/asio/dispatch.hpp>
#include <map>
#include <spdlog/spdlog.h>

#include "coordinator/events/hub.hpp"
#include "coordinator/logging/log.hpp"
#include "coordinator/sessions/scheduler_state.hpp"
#include "coordinator/store/session_rows.hpp"
#include "coordinator/store/snapshot_rows.hpp"
#include "coordinator/store/statement.hpp"
#include "coordinator/store/store.hpp"
#include "dbg/clock.hpp"

namespace dbg::coord::sessions {

namespace {

// A status as a stored row spells it, queued or running.
bool unfinished_text(std::string_view text) {
  auto status = status_from_string(text);
  return status && unfinished(*status);
}

}  // namespace

void Scheduler::shutdown(std::function<void()> done) {
  boost::asio::dispatch(state_->strand, [s = state_, done = std::move(done)]() mutable {
    s->stopping = true;
    std::vector<State::LivePtr> ending;
    for (auto& [id, live] : s->sessions)
      if (!live->session.finished()) ending.push_back(live);
    if (ending.empty()) return done();
    // `done` once every ended session is committed; a failed save still counts (it is logged,
    // and the next start marks the row failed anyway).
    auto left = std::make_shared<size_t>(ending.size());
    auto all_saved = [left, done = std::move(done)](Result<void>) {
      if (--*left == 0) done();
    };
    for (auto& live : ending) {
      Session& session = live->session;
      for (auto& batch : session.batches) {
        if (unfinished(batch.status)) batch.status = Status::failed;
        for (auto& t : batch.targets) {
          if (!unfinished(t.status)) continue;
          t.status = Status::failed;
          t.error = Error{"shutting_down", "the coordinator stopped during the session"};
        }
      }
      session.reason = "the coordinator is stopping";
      session.status = Status::failed;
      session.total_ms = State::ms_since(live->started);
      session.finished_at_ms = unix_time_ms();
      s->hub.publish("session", "session_done", {{"id", session.id}, {"status", session.status}, {"reason", *session.reason}});
      spdlog::warn("session {} ended by the stop", session.id);
      s->persist(live, [live, all_saved](Result<void> r) {
        live->end_committed = static_cast<bool>(r);
        all_saved(r);
      });
    }
  });
}

void Scheduler::fail_interrupted_sessions() {
  state_->store.read([s = state_](store::StatementCache& sql) {
    std::vector<store::SessionRow> rows;
    try {
      rows = store::select_sessions(sql, static_cast<int>(s->config.max_sessions_in_memory));
    } catch (const std::exception& e) {
      DBG_LOG_ERROR("listing sessions interrupted by the last stop failed: {}", e.what());
      return;
    }
    for (auto& row : rows) {
      if (!unfinished_text(row.status)) continue;
      // The row's progress is written now and then (kProgressPersistInterval); the snapshots are
      // the acknowledged results: a target whose snapshot is stored is done, whatever the row said.
      std::map<int, int64_t> stored;
      try {
        stored = store::select_session_snapshot_ids(sql, row.id);
      } catch (const std::exception& e) {
        DBG_LOG_ERROR("reading the snapshots of interrupted session {} failed: {}", row.id, e.what());
      }
      nlohmann::json& body = row.body;
      body["status"] = Status::failed;
      body["reason"] = "the coordinator stopped before the session ended";
      for (auto& batch : body["batches"]) {
        bool all_stored = !batch["targets"].empty();
        for (auto& t : batch["targets"]) {
          if (!unfinished_text(t.value("status", ""))) continue;
          if (auto it = stored.find(t.value("pid", 0)); it != stored.end()) {
            t["status"] = Status::done;
            t["snapshot_id"] = it->second;
            continue;
          }
          all_stored = false;
          t["status"] = Status::failed;
          t["error"] = {{"code", "interrupted"}, {"message", "the coordinator stopped during the session"}};
        }
        if (unfinished_text(batch.value("status", ""))) batch["status"] = all_stored ? Status::done : Status::failed;
      }
      row.status = to_string(Status::failed);
      DBG_LOG_WARN("session {} was interrupted by a coordinator stop; marked failed ({} snapshots kept)", row.id, stored.size());
      s->store.save_session(std::move(row), [](Result<void>) {});
    }
  });
  // The first flush runs the listing (which queues the saves), the second commits those saves.
  state_->store.flush();
  state_->store.flush();
}

}  // namespace dbg::coord::sessions
