// A session's life on the scheduler's strand: admission, batches, dispatch, progress, the end.
#include <boost/asio/steady_timer.hpp>
#include <malloc.h>

#include <random>

#include "coordinator/events/hub.hpp"
#include "coordinator/logging/log.hpp"
#include "coordinator/procfs/proc_reader.hpp"
#include "coordinator/sessions/scheduler_state.hpp"
#include "coordinator/store/session_rows.hpp"
#include "coordinator/store/store.hpp"
#include "dbg/clock.hpp"

namespace dbg::coord::sessions {

namespace {

// Sortable and unique across restarts: creation time, then randomness.
std::string new_session_id() {
  static std::mt19937_64 rng{std::random_device{}()};
  char buf[48];
  std::snprintf(buf, sizeof buf, "s-%llx-%06llx", static_cast<unsigned long long>(unix_time_ms()),
                static_cast<unsigned long long>(rng() & 0xffffff));
  return buf;
}

}  // namespace

Scheduler::State::State(boost::asio::any_io_executor executor, boost::asio::any_io_executor blocking_executor,
                        SchedulerConfig c, pool::JobQueue& p, store::Store& s, events::Hub& h, TargetSource& r,
                        detect::Detector* d)
    : strand(boost::asio::make_strand(executor)), blocking(std::move(blocking_executor)), config(c), pool(p), store(s),
      hub(h), resolver(r), detector(d), snapshot_runner(strand, p), watched_runner(strand, snapshot_runner),
      profile_runner(strand, p, c.profile_memory_bytes), detect_runner(strand, d) {}

nlohmann::json Scheduler::State::visible_json(const Live& live) {
  nlohmann::json j = to_json(live.session);
  if (live.session.finished() && !live.end_committed) j["status"] = Status::running;
  return j;
}

std::string Scheduler::State::visible_text(const Live& live) {
  return to_json_text(live.session, live.session.finished() && !live.end_committed ? std::optional(Status::running) : std::nullopt);
}

double Scheduler::State::ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

std::string Scheduler::State::job_tag(const Session& s, size_t b, size_t i) {
  return s.id + "/" + std::to_string(b) + "/" + std::to_string(i);
}

nlohmann::json Scheduler::State::progress(const Session& s) {
  return {{"total", s.target_count()},
          {"done", s.count_with_status(Status::done)},
          {"failed", s.count_with_status(Status::failed)}};
}

void Scheduler::State::persist(const LivePtr& live, std::function<void(Result<void>)> done) {
  if (live->rejected) return;
  store::SessionTextRow row{live->session.id, live->session.kind, std::string(to_string(live->session.status)),
                            live->session.created_at_ms, store::JsonText{to_json_text(live->session)}};
  store.save_session(std::move(row), [self = shared_from_this(), done = std::move(done)](Result<void> r) {
    if (!r) DBG_LOG_ERROR("storing a session failed: {}", r.error().message);
    if (done) self->on_strand([done, r]() mutable { done(r); });
  });
}

void Scheduler::State::admit(SessionRequest request, std::vector<ResolvedTarget> targets, JsonDone done) {
  if (stopping) {
    done(Error{"shutting_down", "the coordinator is stopping"});
    return;
  }
  // Admission: a bounded amount of work waits; beyond it the client retries later (503).
  size_t before = pending.fetch_add(targets.size());
  if (before + targets.size() > config.max_pending_targets) {
    pending.fetch_sub(targets.size());
    done(Error{"queue_full", std::to_string(before) + " targets are already waiting; retry later"});
    return;
  }
  auto live = std::make_shared<Live>();
  Session& s = live->session;
  s.id = new_session_id();
  s.kind = request.kind;
  s.targets_spec = request.targets_spec;
  s.options = request.options;
  s.created_at_ms = unix_time_ms();
  for (size_t i = 0; i < targets.size(); ++i) {
    if (i % config.batch_size == 0) s.batches.push_back(SessionBatch{static_cast<int>(s.batches.size()), Status::queued, {}, {}});
    s.batches.back().targets.push_back(
        SessionTarget{targets[i].pid, targets[i].comm, targets[i].score, Status::queued, targets[i].start_time, {}, {}, {},
                      nullptr, nullptr});
  }
  live->request = std::move(request);
  live->started = std::chrono::steady_clock::now();
  live->last_persisted = live->started;
  live->batch_started.resize(s.batches.size());
  for (const auto& batch : s.batches) live->unfinished.push_back(batch.targets.size());
  sessions[s.id] = live;
  hub.publish("session", "session_created", {{"id", s.id}, {"targets", s.target_count()}, {"batches", s.batches.size()}});
  // Acknowledge only once the session is committed: a 202 means it survives a crash. Batch 0
  // goes out at once, while that COMMIT waits for its fsync: the store writes in order, so any
  // of its snapshots is committed after the session row, and the 202 reaches the client before
  // any session_done can.
  persist(live, [self = shared_from_this(), live, done](Result<void> r) {
    if (!r) {
      // A full disk keeps its code (507, store/store.cpp); anything else is internal.
      self->reject(live, "could not store the session: " + r.error().message);
      done(Error{r.error().code == "disk_full" ? "disk_full" : "internal", "could not store the session: " + r.error().message});
      return;
    }
    done(to_json(live->session));
  });
  dispatch_next_batch(live);
}

// The session row could not be committed (disk full, I/O error): nothing more of it is stored
// (persist and the result handlers check `rejected`), batches not dispatched are dropped, and
// the jobs in flight end as failed targets.
void Scheduler::State::reject(const LivePtr& live, const std::string& reason) {
  Session& s = live->session;
  live->rejected = true;
  drop_undispatched(*live);
  s.status = Status::failed;
  s.reason = reason;
  s.total_ms = ms_since(live->started);
  hub.publish("session", "session_failed", {{"id", s.id}, {"status", s.status}, {"reason", reason}});
  sessions.erase(s.id);
}

void Scheduler::State::drop_undispatched(Live& live) {
  Session& s = live.session;
  size_t dropped = 0;
  for (size_t b = live.next_batch; b < s.batches.size(); ++b) {
    s.batches[b].status = Status::cancelled;
    for (auto& t : s.batches[b].targets) {
      t.status = Status::cancelled;
      ++dropped;
    }
  }
  pending.fetch_sub(dropped);
  live.next_batch = s.batches.size();
}

JobRunner& Scheduler::State::runner_for(const SessionRequest& request) {
  if (request.kind == "profile") return profile_runner;
  if (request.detect) return detect_runner;
  if (watched_runner.has_capture()) return watched_runner;
  return snapshot_runner;
}

void Scheduler::State::dispatch_next_batch(const LivePtr& live) {
  Session& s = live->session;
  // After the last batch, the session ends when its last batch is finished (target_finished).
  if (s.finished() || stopping || live->next_batch >= s.batches.size()) return;
  s.status = Status::running;
  SessionBatch& batch = s.batches[live->next_batch++];
  batch.status = Status::running;
  const auto b = static_cast<size_t>(batch.index);
  live->batch_started[b] = std::chrono::steady_clock::now();
  live->capturing = batch.targets.size();
  nlohmann::json pids = nlohmann::json::array();
  std::vector<std::pair<int, std::uint64_t>> identities;
  for (const auto& t : batch.targets) {
    pids.push_back(t.pid);
    identities.emplace_back(t.pid, t.start_time);
  }
  hub.publish("batch", "batch_dispatched", {{"session_id", s.id}, {"index", batch.index}, {"pids", std::move(pids)}});
  for (auto& t : batch.targets) t.status = Status::running;
  // Pids are reused: a target resolved seconds ago (a session over thousands of processes is
  // dispatched over tens of seconds) is checked against its start time now, on the blocking
  // pool (/proc reads), just before its job goes out.
  boost::asio::post(blocking, [self = shared_from_this(), live, b, identities = std::move(identities)] {
    std::vector<std::optional<std::uint64_t>> now;
    now.reserve(identities.size());
    for (const auto& [pid, start] : identities) now.push_back(start == 0 ? std::optional<std::uint64_t>(0) : procfs::read_start_time(pid));
    self->on_strand([self, live, b, now = std::move(now)] { self->start_batch_jobs(live, b, now); });
  });
}

void Scheduler::State::start_batch_jobs(const LivePtr& live, size_t b, const std::vector<std::optional<std::uint64_t>>& start_now) {
  Session& s = live->session;
  SessionBatch& batch = s.batches[b];
  JobRunner& runner = runner_for(live->request);
  for (size_t i = 0; i < batch.targets.size(); ++i) {
    SessionTarget& t = batch.targets[i];
    if (t.status != Status::running) continue;  // failed by a stop in between
    if (t.start_time != 0 && start_now[i] != t.start_time) {
      job_failed(live, b, i,
                 start_now[i] ? Error{"pid_reused", "pid " + std::to_string(t.pid) + " is another process now (start time " +
                                                        std::to_string(*start_now[i]) + ", resolved with " +
                                                        std::to_string(t.start_time) + "); not captured"}
                              : Error{"process_gone", "process " + std::to_string(t.pid) + " exited before its batch"});
      continue;
    }
    pool::Job job;
    job.kind = s.kind;
    job.pid = t.pid;
    job.options = live->request.options;
    job.options.erase("deadline_ms");
    job.deadline = std::chrono::milliseconds(live->request.deadline_ms);
    TargetJob target{std::move(job), live->request, batch.targets.size(), job_tag(s, b, i)};
    if (!runner.start(std::move(target), sink_for(live, b, i))) job_failed(live, b, i, queue_full_error());
  }
}

// A target's worker answered (or its job could not run): once the whole batch has answered,
// the workers are free and the next batch goes out, while this one's results are stored.
void Scheduler::State::target_captured(const LivePtr& live, size_t b) {
  if (--live->capturing > 0 || live->rejected) return;
  Session& s = live->session;
  hub.publish("batch", "batch_captured",
              {{"session_id", s.id}, {"index", s.batches[b].index}, {"elapsed_ms", ms_since(live->batch_started[b])}});
  if (s.status == Status::cancelled) return;
  dispatch_next_batch(live);
}

// A target is done (stored) or failed. The last one of a batch finishes the batch; the last
// batch finishes the session.
void Scheduler::State::target_finished(const LivePtr& live, size_t b) {
  pending.fetch_sub(1);
  if (--live->unfinished[b] > 0 || live->rejected) return;
  Session& s = live->session;
  SessionBatch& batch = s.batches[b];
  batch.elapsed_ms = ms_since(live->batch_started[b]);
  if (batch.status == Status::running) batch.status = Status::done;
  hub.publish("batch", "batch_done",
              {{"session_id", s.id}, {"index", batch.index}, {"elapsed_ms", *batch.elapsed_ms}, {"progress", progress(s)}});
  ++live->batches_finished;
  // A session already ended (cancelled, or failed by shutdown()) keeps its status.
  if (!s.finished() && live->batches_finished == live->next_batch && live->next_batch == s.batches.size()) {
    finish(live, Status::done);
    return;
  }
  // The rewrite costs in proportion to the targets (~1.5 MB of JSON at 10,000): its interval
  // grows with them, 1 s at 10,000, so a big session spends the same share of CPU and WAL on it.
  const auto interval = std::max<std::chrono::steady_clock::duration>(
      kProgressPersistInterval, std::chrono::microseconds(100) * s.target_count());
  if (auto now = std::chrono::steady_clock::now(); now - live->last_persisted >= interval) {
    live->last_persisted = now;
    persist(live);
  }
}

// Ends the session; `committed` (on the strand) and the session_done/cancelled event follow
// the COMMIT of its final row, like every other acknowledgement.
void Scheduler::State::finish(const LivePtr& live, SessionStatus status, std::function<void()> committed) {
  Session& s = live->session;
  s.status = status;
  s.total_ms = ms_since(live->started);
  s.finished_at_ms = unix_time_ms();
  // Once per session, not per batch: a few /proc/PID/status reads. The workers' VmHWM is their
  // lifetime peak anyway; the coordinator's RSS is its size at the end.
  s.debug.sample_memory(pool.worker_pids());
  persist_end(live, std::move(committed));
}

// Saves the final row, and again every second while that fails (a full disk): the session
// stays "running" to the API until its end is durable, then it is announced.
void Scheduler::State::persist_end(const LivePtr& live, std::function<void()> committed) {
  persist(live, [self = shared_from_this(), live, committed = std::move(committed)](Result<void> r) mutable {
    if (!r) {
      // While stopping there is no retrying: the next start marks the row failed.
      if (self->stopping) return;
      auto timer = std::make_shared<boost::asio::steady_timer>(self->strand, std::chrono::seconds(1));
      timer->async_wait([self, live, timer, committed = std::move(committed)](const boost::system::error_code&) mutable {
        self->persist_end(live, std::move(committed));
      });
      return;
    }
    live->end_committed = true;
    Session& s = live->session;
    self->hub.publish("session", s.status == Status::cancelled ? "session_cancelled" : "session_done",
                      {{"id", s.id}, {"status", s.status}, {"total_ms", *s.total_ms}, {"progress", self->progress(s)}});
    self->finished_order.push_back(s.id);
    while (self->finished_order.size() > self->config.max_sessions_in_memory) {
      self->sessions.erase(self->finished_order.front());  // still in the store
      self->finished_order.pop_front();
    }
    if (committed) committed();
    // A big session's buffers are freed now: give the free heap back (a few ms, once a session).
    malloc_trim(0);
  });
}

}  // namespace dbg::coord::sessions
