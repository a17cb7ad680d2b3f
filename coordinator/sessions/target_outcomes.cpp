// One target's outcome on the scheduler's strand: the JobSink the runners report to. A target
// ends failed (job_failed) or with its result stored; only a committed result is "done".
#include "coordinator/events/hub.hpp"
#include "coordinator/metrics/snapshot_metrics.hpp"
#include "coordinator/profiles/profile_store.hpp"
#include "coordinator/sessions/scheduler_state.hpp"
#include "coordinator/store/store.hpp"

namespace dbg::coord::sessions {

// The sink of target i of batch b: forwards to the state (every call is on its strand).
class Scheduler::State::TargetSink : public JobSink {
 public:
  TargetSink(std::shared_ptr<State> state, LivePtr live, size_t b, size_t i)
      : state_(std::move(state)), live_(std::move(live)), b_(b), i_(i) {}
  bool running() const override { return live_->session.batches[b_].targets[i_].status == Status::running; }
  void progress(const nlohmann::json& progress) override { state_->on_progress(live_, b_, i_, progress); }
  void failed(Error error) override { state_->job_failed(live_, b_, i_, error); }
  void snapshot(Snapshot snapshot) override {
    if (!state_->failed_as_rejected(live_, b_, i_)) state_->store_snapshot(live_, b_, i_, std::move(snapshot));
  }
  void profile(Profile profile) override {
    if (!state_->failed_as_rejected(live_, b_, i_)) state_->store_profile(live_, b_, i_, std::move(profile));
  }
  void detected(detect::DetectOutcome outcome) override {
    if (!state_->failed_as_rejected(live_, b_, i_)) state_->on_detected(live_, b_, i_, std::move(outcome));
  }

 private:
  std::shared_ptr<State> state_;
  LivePtr live_;
  size_t b_, i_;
};

std::shared_ptr<JobSink> Scheduler::State::sink_for(const LivePtr& live, size_t b, size_t i) {
  return std::make_shared<TargetSink>(shared_from_this(), live, b, i);
}

void Scheduler::State::job_failed(const LivePtr& live, size_t b, size_t i, const Error& error) {
  Session& s = live->session;
  SessionTarget& t = s.batches[b].targets[i];
  // Already failed by shutdown(): the pool's "shutting_down" answer changes nothing.
  if (t.status == Status::failed && t.error) {
    target_finished(live, b);
    return;
  }
  t.status = Status::failed;
  t.error = error;
  hub.publish("job", "job_failed", {{"session_id", s.id}, {"pid", t.pid}, {"error", error}});
  target_captured(live, b);
  target_finished(live, b);
}

bool Scheduler::State::failed_as_rejected(const LivePtr& live, size_t b, size_t i) {
  if (!live->rejected) return false;
  job_failed(live, b, i, Error{"session_not_stored", live->session.reason.value_or("the session could not be stored")});
  return true;
}

// A detect job's end: findings on the target, as error events and on the hub; then the
// (last) snapshot is stored like any other.
void Scheduler::State::on_detected(const LivePtr& live, size_t b, size_t i, detect::DetectOutcome outcome) {
  SessionTarget& t = live->session.batches[b].targets[i];
  if (t.comm.empty()) t.comm = outcome.snapshot.comm;
  t.findings = nlohmann::json::array();
  for (const auto& f : outcome.findings) {
    t.findings.push_back(detect::to_json(f));
    hub.publish("detect", "finding", {{"session_id", live->session.id}, {"pid", t.pid}, {"kind", f.kind}, {"message", f.message}});
  }
  if (detector) detector->report(outcome.findings, t.pid, t.comm);
  store_snapshot(live, b, i, std::move(outcome.snapshot));
}

void Scheduler::State::store_snapshot(const LivePtr& live, size_t b, size_t i, Snapshot snap) {
  Session& s = live->session;
  SessionTarget& t = s.batches[b].targets[i];
  s.debug.add(snap);
  metrics::observe_snapshot(snap);
  if (t.comm.empty()) t.comm = snap.comm;
  store.save_snapshot(s.id, std::move(snap), [self = shared_from_this(), live, b, i](Result<int64_t> id) {
    self->on_strand([self, live, b, i, id = std::move(id)] {
      self->result_stored(live, b, i, id, [&](SessionTarget& target, int64_t snapshot_id) {
        target.snapshot_id = snapshot_id;
        self->hub.publish("snapshot", "snapshot_stored",
                          {{"session_id", live->session.id}, {"pid", target.pid}, {"snapshot_id", snapshot_id}});
      });
    });
  });
  target_captured(live, b);
}

void Scheduler::State::store_profile(const LivePtr& live, size_t b, size_t i, Profile profile) {
  Session& s = live->session;
  SessionTarget& t = s.batches[b].targets[i];
  if (t.comm.empty()) t.comm = profile.comm;
  t.progress = profiles::profile_summary(profile);
  profiles::save_profile(store, s.id, profile, [self = shared_from_this(), live, b, i](Result<int64_t> id) {
    self->on_strand([self, live, b, i, id = std::move(id)] {
      self->result_stored(live, b, i, id, [&](SessionTarget& target, int64_t profile_id) {
        target.profile_id = profile_id;
        self->hub.publish("profile", "profile_stored",
                          {{"session_id", live->session.id}, {"pid", target.pid}, {"profile_id", profile_id},
                           {"samples", target.progress.value("samples", uint64_t{0})},
                           {"stop_reason", target.progress.value("stop_reason", "")}});
      });
    });
  });
  target_captured(live, b);
}

void Scheduler::State::result_stored(const LivePtr& live, size_t b, size_t i, const Result<int64_t>& id,
                                     const std::function<void(SessionTarget&, int64_t)>& acknowledge) {
  SessionTarget& target = live->session.batches[b].targets[i];
  if (id) {
    target.status = Status::done;
    acknowledge(target, id.value());
  } else {
    target.status = Status::failed;
    target.error = Error{"store_failed", id.error().message};
    hub.publish("job", "job_failed", {{"session_id", live->session.id}, {"pid", target.pid}, {"error", id.error()}});
  }
  target_finished(live, b);
}

void Scheduler::State::on_progress(const LivePtr& live, size_t b, size_t i, const nlohmann::json& progress) {
  SessionTarget& t = live->session.batches[b].targets[i];
  if (t.status != Status::running) return;  // a late line after the result
  t.progress = progress;
  nlohmann::json data = progress;
  data["session_id"] = live->session.id;
  data["pid"] = t.pid;
  hub.publish("profile", "profile_progress", data);
}

}  // namespace dbg::coord::sessions
