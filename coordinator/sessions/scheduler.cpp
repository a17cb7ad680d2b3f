// The scheduler's public calls: each one hops onto the strand (scheduler_state.hpp).
#include "coordinator/sessions/scheduler.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "coordinator/sessions/scheduler_state.hpp"
#include "coordinator/store/store.hpp"

namespace dbg::coord::sessions {

Scheduler::Scheduler(boost::asio::any_io_executor executor, boost::asio::any_io_executor blocking, SchedulerConfig config,
                     pool::JobQueue& pool, store::Store& store, events::Hub& hub, TargetSource& resolver,
                     detect::Detector* detector)
    : state_(std::make_shared<State>(std::move(executor), std::move(blocking), config, pool, store, hub, resolver,
                                     detector)) {}

Scheduler::~Scheduler() = default;

size_t Scheduler::pending_targets() const { return state_->pending.load(); }

void Scheduler::set_watched_capture(detect::WatchedCapture capture) { state_->watched_runner.set_capture(std::move(capture)); }

void Scheduler::set_watched_pids(WatchedPids pids) { state_->profile_runner.set_watched_pids(std::move(pids)); }

void Scheduler::create(SessionRequest request, JsonDone done) {
  if (request.kind == "profile" && request.profile_options.duration_s > state_->config.max_profile_duration_s) {
    char limit[32];
    std::snprintf(limit, sizeof limit, "%g", state_->config.max_profile_duration_s);
    done(Error{"bad_request", "options.duration_s is over this server's maximum of " + std::string(limit) +
                                  " s (--max-profile-duration)"});
    return;
  }
  // Resolution reads /proc (and may wait for a CPU sample): never on the network thread.
  boost::asio::post(state_->blocking, [s = state_, request = std::move(request), done = std::move(done)]() mutable {
    auto targets = s->resolver.resolve(request);
    boost::asio::post(s->strand, [s, request = std::move(request), targets = std::move(targets), done = std::move(done)]() mutable {
      if (!targets) {
        done(targets.error());
        return;
      }
      s->admit(std::move(request), std::move(targets.value()), std::move(done));
    });
  });
}

void Scheduler::get(std::string id, JsonDone done) {
  boost::asio::dispatch(state_->strand, [s = state_, id = std::move(id), done = std::move(done)]() mutable {
    if (auto it = s->sessions.find(id); it != s->sessions.end()) {
      done(State::visible_json(*it->second));
      return;
    }
    s->store.load_session(id, [s, id, done = std::move(done)](std::optional<store::SessionRow> row) mutable {
      s->on_strand([row = std::move(row), id, done = std::move(done)] {
        if (row) {
          done(row->body);
        } else {
          done(Error{"not_found", "no session " + id});
        }
      });
    });
  });
}

void Scheduler::get_text(std::string id, TextDone done) {
  boost::asio::dispatch(state_->strand, [s = state_, id = std::move(id), done = std::move(done)]() mutable {
    if (auto it = s->sessions.find(id); it != s->sessions.end()) {
      done(State::visible_text(*it->second));
      return;
    }
    s->store.load_session(id, [s, id, done = std::move(done)](std::optional<store::SessionRow> row) mutable {
      s->on_strand([row = std::move(row), id, done = std::move(done)] {
        if (row) {
          done(row->body.dump());
        } else {
          done(Error{"not_found", "no session " + id});
        }
      });
    });
  });
}

void Scheduler::list(size_t limit, JsonDone done) {
  boost::asio::dispatch(state_->strand, [s = state_, limit, done = std::move(done)]() mutable {
    s->store.list_sessions(static_cast<int>(limit), [s, done = std::move(done)](std::vector<store::SessionRow> rows) mutable {
      s->on_strand([s, rows = std::move(rows), done = std::move(done)] {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& row : rows) {
          // The live copy is fresher than the last persisted one.
          auto it = s->sessions.find(row.id);
          out.push_back(it != s->sessions.end() ? State::visible_json(*it->second) : row.body);
        }
        done(nlohmann::json{{"sessions", std::move(out)}});
      });
    });
  });
}

void Scheduler::cancel(std::string id, JsonDone done) {
  boost::asio::dispatch(state_->strand, [s = state_, id = std::move(id), done = std::move(done)]() mutable {
    auto it = s->sessions.find(id);
    if (it == s->sessions.end()) {
      // Maybe an old, finished one: that is a conflict, not a missing session.
      s->store.load_session(id, [s, id, done = std::move(done)](std::optional<store::SessionRow> row) mutable {
        s->on_strand([row = std::move(row), id, done = std::move(done)] {
          if (row) {
            done(Error{"conflict", "session " + id + " already ended (" + row->status + ")"});
          } else {
            done(Error{"not_found", "no session " + id});
          }
        });
      });
      return;
    }
    auto live = it->second;
    Session& session = live->session;
    if (session.finished()) {
      done(Error{"conflict", "session " + id + " already ended (" + std::string(to_string(session.status)) + ")"});
      return;
    }
    // Batches not yet dispatched are cancelled; the one in flight finishes and is kept.
    const size_t in_flight = live->next_batch;
    s->drop_undispatched(*live);
    // Profiles in flight are told to stop now; each answers with what it collected, which is
    // stored and acknowledged as usual (the target ends "done" with its profile_id).
    if (session.kind == "profile" && in_flight > 0) {
      size_t b = in_flight - 1;
      for (size_t i = 0; i < session.batches[b].targets.size(); ++i) {
        if (session.batches[b].targets[i].status == Status::running) s->pool.cancel(State::job_tag(session, b, i));
      }
    }
    session.reason = "cancelled by request";
    // Answered once the cancellation is committed (a 200 is an acknowledgement).
    s->finish(live, Status::cancelled, [live, done = std::move(done)] { done(to_json(live->session)); });
  });
}

}  // namespace dbg::coord::sessions
