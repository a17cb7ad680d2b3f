#include "coordinator/sessions/scheduler.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <deque>
#include <map>
#include <random>

#include "coordinator/detect/detector.hpp"
#include "coordinator/events/hub.hpp"
#include "coordinator/logging/log.hpp"
#include "coordinator/metrics/snapshot_metrics.hpp"
#include "coordinator/pool/worker_pool.hpp"
#include "coordinator/profiles/profile_store.hpp"
#include "coordinator/sessions/target_resolver.hpp"
#include "coordinator/store/session_rows.hpp"
#include "coordinator/store/snapshot_rows.hpp"
#include "coordinator/store/statement.hpp"
#include "coordinator/store/store.hpp"
#include "dbg/profile.hpp"
#include "dbg/protocol.hpp"
#include "dbg/snapshot.hpp"
#include "dbg/snapshot_wire.hpp"

namespace dbg::coord::sessions {

namespace {

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// Sortable and unique across restarts: creation time, then randomness.
std::string new_session_id() {
  static std::mt19937_64 rng{std::random_device{}()};
  char buf[48];
  std::snprintf(buf, sizeof buf, "s-%llx-%06llx", static_cast<unsigned long long>(unix_ms()),
                static_cast<unsigned long long>(rng() & 0xffffff));
  return buf;
}

}  // namespace

struct Scheduler::State : std::enable_shared_from_this<Scheduler::State> {
  struct Live {
    Session session;
    SessionRequest request;
    std::chrono::steady_clock::time_point started;
    // Batches overlap by one step: batch b+1 is dispatched as soon as every result of batch b
    // is back from the workers ("batch_captured"), while batch b's snapshots are still being
    // committed (each COMMIT waits for an fsync). So the workers never idle during a commit,
    // and still at most one batch is being captured at a time.
    std::vector<std::chrono::steady_clock::time_point> batch_started;
    std::vector<size_t> unfinished;  // per batch: targets not yet stored or failed
    size_t batches_finished = 0;
    size_t next_batch = 0;
    size_t capturing = 0;  // targets of the newest dispatched batch whose result is not back
    bool rejected = false;  // the session row could not be committed (see reject())
    // The session's end (done, cancelled) is committed. Until then the API shows it "running":
    // a client that saw "done" must find it done after a crash (coordinator_kill9_test caught
    // GET answering "done" from memory while the row still said "running").
    bool end_committed = false;
    // When the session row was last written with its progress (see target_finished).
    std::chrono::steady_clock::time_point last_persisted{};
  };

  // A running session's row is rewritten with its progress at most this often. Each rewrite
  // serializes every target of the session, and a snapshot session ends in tens of ms: writing
  // it per batch cost a tenth of the coordinator's CPU for no reader. What is acknowledged is
  // the snapshot row (committed before its batch_done), and a restart rebuilds the progress of an
  // interrupted session from those (fail_interrupted_sessions).
  static constexpr auto kProgressPersistInterval = std::chrono::milliseconds(250);

  // The session as the API may show it: what is committed, never more.
  static nlohmann::json visible_json(const Live& live) {
    nlohmann::json j = to_json(live.session);
    if (live.session.finished() && !live.end_committed) j["status"] = "running";
    return j;
  }

  State(boost::asio::any_io_executor ex, boost::asio::any_io_executor b, SchedulerConfig c, pool::WorkerPool& p,
        store::Store& s, events::Hub& h, TargetResolver& r, detect::Detector* d)
      : strand(boost::asio::make_strand(ex)), blocking(std::move(b)), config(c), pool(p), store(s), hub(h), resolver(r),
        detector(d) {}

  boost::asio::strand<boost::asio::any_io_executor> strand;
  boost::asio::any_io_executor blocking;
  SchedulerConfig config;
  pool::WorkerPool& pool;
  store::Store& store;
  events::Hub& hub;
  TargetResolver& resolver;
  detect::Detector* detector;
  detect::WatchedCapture watched_capture;  // empty: every snapshot goes to the pool
  Scheduler::WatchedPids watched_pids;     // empty: a refused profile keeps the worker's words
  std::map<std::string, std::shared_ptr<Live>> sessions;
  std::deque<std::string> finished_order;  // oldest first, to bound memory
  std::atomic<size_t> pending{0};          // targets admitted and not finished
  uint64_t profile_bytes_granted = 0;      // sample budgets handed to running profile jobs
  bool stopping = false;                   // shutdown(): no new sessions, none dispatched

  static std::string job_tag(const Session& s, size_t b, size_t i) {
    return s.id + "/" + std::to_string(b) + "/" + std::to_string(i);
  }

  // A profile job's sample budget: an equal share of what the running profiles leave free,
  // among the batch's targets, never below the worker's minimum. So all profiles together stay
  // within --profile-memory-mb (except when that many minimums would not fit).
  uint64_t grant_profile_bytes(size_t batch_targets) {
    uint64_t total = config.profile_memory_bytes;
    uint64_t free = total > profile_bytes_granted ? total - profile_bytes_granted : 0;
    uint64_t grant = std::max<uint64_t>(kMinProfileBytes, free / std::max<size_t>(batch_targets, 1));
    profile_bytes_granted += grant;
    return grant;
  }

  // Runs `f` on the strand from a store callback (which runs on the store's thread).
  template <typename F>
  void on_strand(F&& f) {
    boost::asio::post(strand, std::forward<F>(f));
  }

  void persist(const std::shared_ptr<Live>& live, std::function<void(Result<void>)> done = nullptr) {
    if (live->rejected) return;
    store::SessionRow row{live->session.id, live->session.kind, live->session.status, live->session.created_at_ms,
                          to_json(live->session)};
    store.save_session(std::move(row), [self = shared_from_this(), done = std::move(done)](Result<void> r) {
      if (!r) DBG_LOG_ERROR("storing a session failed: {}", r.error().message);
      if (done) self->on_strand([done, r]() mutable { done(r); });
    });
  }

  nlohmann::json progress(const Session& s) const {
    return {{"total", s.target_count()},
            {"done", s.count_with_status("done")},
            {"failed", s.count_with_status("failed")}};
  }

  void admit(SessionRequest request, std::vector<ResolvedTarget> targets, JsonDone done) {
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
    s.created_at_ms = unix_ms();
    for (size_t i = 0; i < targets.size(); ++i) {
      if (i % config.batch_size == 0) s.batches.push_back(SessionBatch{static_cast<int>(s.batches.size()), "queued", {}, {}});
      s.batches.back().targets.push_back(SessionTarget{targets[i].pid, targets[i].comm, targets[i].score, "queued", {}, {}, {}, nullptr, nullptr});
    }
    live->request = std::move(request);
    live->started = std::chrono::steady_clock::now();
    live->last_persisted = live->started;
    live->batch_started.resize(s.batches.size());
    for (const auto& batch : s.batches) live->unfinished.push_back(batch.targets.size());
    sessions[s.id] = live;
    hub.publish("session", "session_created",
                {{"id", s.id}, {"targets", s.target_count()}, {"batches", s.batches.size()}});
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
  void reject(const std::shared_ptr<Live>& live, const std::string& reason) {
    Session& s = live->session;
    live->rejected = true;
    size_t dropped = 0;
    for (size_t b = live->next_batch; b < s.batches.size(); ++b) {
      s.batches[b].status = "cancelled";
      for (auto& t : s.batches[b].targets) {
        t.status = "cancelled";
        ++dropped;
      }
    }
    pending.fetch_sub(dropped);
    live->next_batch = s.batches.size();
    s.status = "failed";
    s.reason = reason;
    s.total_ms = ms_since(live->started);
    hub.publish("session", "session_failed", {{"id", s.id}, {"status", s.status}, {"reason", reason}});
    sessions.erase(s.id);
  }

  void dispatch_next_batch(const std::shared_ptr<Live>& live) {
    Session& s = live->session;
    // After the last batch, the session ends when its last batch is finished (target_finished).
    if (s.finished() || stopping || live->next_batch >= s.batches.size()) return;
    s.status = "running";
    SessionBatch& batch = s.batches[live->next_batch++];
    batch.status = "running";
    live->batch_started[static_cast<size_t>(batch.index)] = std::chrono::steady_clock::now();
    live->capturing = batch.targets.size();
    hub.publish("batch", "batch_dispatched",
                {{"session_id", s.id}, {"index", batch.index}, {"pids", [&] {
                   nlohmann::json pids = nlohmann::json::array();
                   for (const auto& t : batch.targets) pids.push_back(t.pid);
                   return pids;
                 }()}});
    for (size_t i = 0; i < batch.targets.size(); ++i) {
      SessionTarget& t = batch.targets[i];
      t.status = "running";
      pool::Job job;
      job.kind = s.kind;
      job.pid = t.pid;
      job.options = live->request.options;
      job.options.erase("deadline_ms");
      job.deadline = std::chrono::milliseconds(live->request.deadline_ms);
      size_t b = static_cast<size_t>(batch.index);
      uint64_t granted = 0;
      bool queued = false;
      if (s.kind == "profile") {
        granted = grant_profile_bytes(batch.targets.size());
        job.options["max_bytes"] = granted;
        // The deadline covers the sampling itself plus the usual allowance for the answer.
        job.deadline += std::chrono::milliseconds(static_cast<int64_t>(live->request.profile_options.duration_s * 1000));
        job.tag = job_tag(s, b, i);
        job.on_progress = [self = shared_from_this(), live, b, i](const nlohmann::json& progress) {
          self->on_strand([self, live, b, i, progress] { self->on_progress(live, b, i, progress); });
        };
        queued = pool.submit(std::move(job), [self = shared_from_this(), live, b, i, granted](Result<nlohmann::json> r) {
          self->on_strand([self, live, b, i, granted, r = std::move(r)]() mutable {
            self->profile_bytes_granted -= std::min(self->profile_bytes_granted, granted);
            self->on_profile_job_done(live, b, i, std::move(r));
          });
        });
      } else if (live->request.detect) {
        // The detector takes the snapshot(s) through the pool and hands back the last one.
        if (!detector) {
          job_failed(live, b, i, Error{"internal", "this server has no detector"});
          continue;
        }
        detector->run(t.pid, *live->request.detect, detect::worker_options(live->request.options), job.deadline,
                      [self = shared_from_this(), live, b, i](Result<detect::DetectOutcome> r) {
                        self->on_strand([self, live, b, i, r = std::move(r)]() mutable {
                          self->on_detect_done(live, b, i, std::move(r));
                        });
                      });
        queued = true;
      } else if (watched_capture) {
        capture_watched_or_pool(live, b, i, std::move(job));
        queued = true;
      } else {
        queued = submit_snapshot(live, b, i, std::move(job));
      }
      if (!queued) profile_bytes_granted -= std::min(profile_bytes_granted, granted);
      if (!queued) job_failed(live, b, i, Error{"queue_full", "the worker pool queue is full"});
    }
  }

  bool submit_snapshot(const std::shared_ptr<Live>& live, size_t b, size_t i, pool::Job job) {
    // Snapshots come back as text and are parsed straight into a Snapshot (no DOM).
    return pool.submit_raw(std::move(job), [self = shared_from_this(), live, b, i](Result<std::string> r) {
      self->on_strand([self, live, b, i, r = std::move(r)]() mutable { self->on_job_done(live, b, i, std::move(r)); });
    });
  }

  // The watcher first: it answers "not_watched" at once for a pid no crash watch holds, and that
  // target then goes to the pool like any other.
  void capture_watched_or_pool(const std::shared_ptr<Live>& live, size_t b, size_t i, pool::Job job) {
    nlohmann::json options = job.options;
    options["consistency"] = "process";  // the watcher stops every thread at one instant
    const int pid = job.pid;
    const auto deadline = job.deadline;
    watched_capture(pid, std::move(options), deadline,
                    [self = shared_from_this(), live, b, i, job = std::move(job)](Result<Snapshot> r) mutable {
                      self->on_strand([self, live, b, i, job = std::move(job), r = std::move(r)]() mutable {
                        self->on_watched_capture(live, b, i, std::move(job), std::move(r));
                      });
                    });
  }

  void on_watched_capture(const std::shared_ptr<Live>& live, size_t b, size_t i, pool::Job job, Result<Snapshot> r) {
    if (!r && r.error().code == "not_watched") {
      if (live->session.batches[b].targets[i].status != "running") return target_finished(live, b);  // shut down meanwhile
      if (!submit_snapshot(live, b, i, std::move(job))) job_failed(live, b, i, Error{"queue_full", "the worker pool queue is full"});
      return;
    }
    if (failed_without_result(live, b, i, r)) return;
    store_snapshot(live, b, i, std::move(r.value()));
  }

  void job_failed(const std::shared_ptr<Live>& live, size_t b, size_t i, const Error& error) {
    Session& s = live->session;
    SessionTarget& t = s.batches[b].targets[i];
    // Already failed by shutdown(): the pool's "shutting_down" answer changes nothing.
    if (t.status == "failed" && t.error) {
      target_finished(live, b);
      return;
    }
    t.status = "failed";
    t.error = error;
    hub.publish("job", "job_failed", {{"session_id", s.id}, {"pid", t.pid}, {"error", error}});
    target_captured(live, b);
    target_finished(live, b);
  }

  // A job's answer that cannot be used: the worker's error, or any answer for a session whose
  // row could not be stored (reject()). The target is failed; true when that happened.
  template <typename T>
  bool failed_without_result(const std::shared_ptr<Live>& live, size_t b, size_t i, const Result<T>& result) {
    if (!result) {
      job_failed(live, b, i, result.error());
      return true;
    }
    if (live->rejected) {
      job_failed(live, b, i, Error{"session_not_stored", live->session.reason.value_or("the session could not be stored")});
      return true;
    }
    return false;
  }

  void on_profile_job_done(const std::shared_ptr<Live>& live, size_t b, size_t i, Result<nlohmann::json> result) {
    if (!result && result.error().code == "already_traced" && watched_pids) {
      // Our own crash watch may be the other tracer: then say so, and what to do instead.
      watched_pids([self = shared_from_this(), live, b, i, error = result.error()](std::vector<int> pids) mutable {
        self->on_strand([self, live, b, i, error = std::move(error), pids = std::move(pids)]() mutable {
          const int pid = live->session.batches[b].targets[i].pid;
          if (std::find(pids.begin(), pids.end(), pid) != pids.end()) {
            error.message = "process " + std::to_string(pid) +
                            " is held by this server's crash watch (a thread has one tracer): it cannot be profiled "
                            "while watched; snapshots of it are taken by the watcher. Remove the watch to profile it";
          }
          self->job_failed(live, b, i, error);
        });
      });
      return;
    }
    if (failed_without_result(live, b, i, result)) return;
    on_profile_result(live, b, i, std::move(result.value()));
  }

  void on_job_done(const std::shared_ptr<Live>& live, size_t b, size_t i, Result<std::string> result) {
    Session& s = live->session;
    SessionTarget& t = s.batches[b].targets[i];
    if (failed_without_result(live, b, i, result)) return;
    // Straight from the worker's text into a Snapshot, no DOM (dbg/snapshot_wire.hpp).
    auto parsed = parse_snapshot_json(result.value(), protocol::kMaxJsonDepth);
    if (!parsed) {
      t.status = "failed";
      t.error = Error{"worker_protocol_error", parsed.error().message};
      target_captured(live, b);
      target_finished(live, b);
      return;
    }
    store_snapshot(live, b, i, std::move(parsed.value()));
  }

  // A detect job's end: findings on the target, as error events and on the hub; then the
  // (last) snapshot is stored like any other.
  void on_detect_done(const std::shared_ptr<Live>& live, size_t b, size_t i, Result<detect::DetectOutcome> result) {
    if (failed_without_result(live, b, i, result)) return;
    detect::DetectOutcome& outcome = result.value();
    SessionTarget& t = live->session.batches[b].targets[i];
    if (t.comm.empty()) t.comm = outcome.snapshot.comm;
    t.findings = nlohmann::json::array();
    for (const auto& f : outcome.findings) {
      t.findings.push_back(detect::to_json(f));
      hub.publish("detect", "finding",
                  {{"session_id", live->session.id}, {"pid", t.pid}, {"kind", f.kind}, {"message", f.message}});
    }
    detector->report(outcome.findings, t.pid, t.comm);
    store_snapshot(live, b, i, std::move(outcome.snapshot));
  }

  void store_snapshot(const std::shared_ptr<Live>& live, size_t b, size_t i, Snapshot snap) {
    Session& s = live->session;
    SessionTarget& t = s.batches[b].targets[i];
    s.debug.add(snap);
    metrics::observe_snapshot(snap);
    if (t.comm.empty()) t.comm = snap.comm;
    store.save_snapshot(s.id, std::move(snap), [self = shared_from_this(), live, b, i](Result<int64_t> id) {
      self->on_strand([self, live, b, i, id = std::move(id)] {
        SessionTarget& target = live->session.batches[b].targets[i];
        if (id) {
          target.status = "done";
          target.snapshot_id = id.value();
          self->hub.publish("snapshot", "snapshot_stored",
                            {{"session_id", live->session.id}, {"pid", target.pid}, {"snapshot_id", id.value()}});
        } else {
          target.status = "failed";
          target.error = Error{"store_failed", id.error().message};
          self->hub.publish("job", "job_failed", {{"session_id", live->session.id}, {"pid", target.pid}, {"error", id.error()}});
        }
        self->target_finished(live, b);
      });
    });
    target_captured(live, b);
  }

  void on_progress(const std::shared_ptr<Live>& live, size_t b, size_t i, const nlohmann::json& progress) {
    SessionTarget& t = live->session.batches[b].targets[i];
    if (t.status != "running") return;  // a late line after the result
    t.progress = progress;
    nlohmann::json data = progress;
    data["session_id"] = live->session.id;
    data["pid"] = t.pid;
    hub.publish("profile", "profile_progress", data);
  }

  void on_profile_result(const std::shared_ptr<Live>& live, size_t b, size_t i, nlohmann::json result) {
    Session& s = live->session;
    SessionTarget& t = s.batches[b].targets[i];
    Profile profile;
    try {
      profile = result.get<Profile>();
    } catch (const std::exception& e) {
      t.status = "failed";
      t.error = Error{"worker_protocol_error", e.what()};
      hub.publish("job", "job_failed", {{"session_id", s.id}, {"pid", t.pid}, {"error", *t.error}});
      target_captured(live, b);
      target_finished(live, b);
      return;
    }
    if (t.comm.empty()) t.comm = profile.comm;
    t.progress = profiles::profile_summary(profile);
    profiles::save_profile(store, s.id, profile, [self = shared_from_this(), live, b, i](Result<int64_t> id) {
      self->on_strand([self, live, b, i, id = std::move(id)] {
        SessionTarget& target = live->session.batches[b].targets[i];
        if (id) {
          target.status = "done";
          target.profile_id = id.value();
          self->hub.publish("profile", "profile_stored",
                            {{"session_id", live->session.id}, {"pid", target.pid}, {"profile_id", id.value()},
                             {"samples", target.progress.value("samples", uint64_t{0})},
                             {"stop_reason", target.progress.value("stop_reason", "")}});
        } else {
          target.status = "failed";
          target.error = Error{"store_failed", id.error().message};
          self->hub.publish("job", "job_failed", {{"session_id", live->session.id}, {"pid", target.pid}, {"error", id.error()}});
        }
        self->target_finished(live, b);
      });
    });
    target_captured(live, b);
  }

  // A target's worker answered (or its job could not run): once the whole batch has answered,
  // the workers are free and the next batch goes out, while this one's results are stored.
  void target_captured(const std::shared_ptr<Live>& live, size_t b) {
    if (--live->capturing > 0 || live->rejected) return;
    Session& s = live->session;
    hub.publish("batch", "batch_captured",
                {{"session_id", s.id}, {"index", s.batches[b].index}, {"elapsed_ms", ms_since(live->batch_started[b])}});
    if (s.status == "cancelled") return;
    dispatch_next_batch(live);
  }

  // A target is done (stored) or failed. The last one of a batch finishes the batch; the last
  // batch finishes the session.
  void target_finished(const std::shared_ptr<Live>& live, size_t b) {
    pending.fetch_sub(1);
    if (--live->unfinished[b] > 0 || live->rejected) return;
    Session& s = live->session;
    SessionBatch& batch = s.batches[b];
    batch.elapsed_ms = ms_since(live->batch_started[b]);
    if (batch.status == "running") batch.status = "done";
    hub.publish("batch", "batch_done",
                {{"session_id", s.id}, {"index", batch.index}, {"elapsed_ms", *batch.elapsed_ms}, {"progress", progress(s)}});
    ++live->batches_finished;
    // A session already ended (cancelled, or failed by shutdown()) keeps its status.
    if (!s.finished() && live->batches_finished == live->next_batch && live->next_batch == s.batches.size()) {
      finish(live, "done");
      return;
    }
    if (auto now = std::chrono::steady_clock::now(); now - live->last_persisted >= kProgressPersistInterval) {
      live->last_persisted = now;
      persist(live);
    }
  }

  // Ends the session; `committed` (on the strand) and the session_done/cancelled event follow
  // the COMMIT of its final row, like every other acknowledgement.
  void finish(const std::shared_ptr<Live>& live, const std::string& status, std::function<void()> committed = nullptr) {
    Session& s = live->session;
    s.status = status;
    s.total_ms = ms_since(live->started);
    s.finished_at_ms = unix_ms();
    // Once per session, not per batch: a few /proc/PID/status reads. The workers' VmHWM is their
    // lifetime peak anyway; the coordinator's RSS is its size at the end.
    s.debug.sample_memory(pool.worker_pids());
    persist_end(live, std::move(committed));
  }

  // Saves the final row, and again every second while that fails (a full disk): the session
  // stays "running" to the API until its end is durable, then it is announced.
  void persist_end(const std::shared_ptr<Live>& live, std::function<void()> committed) {
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
      self->hub.publish("session", s.status == "cancelled" ? "session_cancelled" : "session_done",
                        {{"id", s.id}, {"status", s.status}, {"total_ms", *s.total_ms}, {"progress", self->progress(s)}});
      self->finished_order.push_back(s.id);
      while (self->finished_order.size() > self->config.max_sessions_in_memory) {
        self->sessions.erase(self->finished_order.front());  // still in the store
        self->finished_order.pop_front();
      }
      if (committed) committed();
    });
  }
};

void Scheduler::shutdown(std::function<void()> done) {
  boost::asio::dispatch(state_->strand, [s = state_, done = std::move(done)]() mutable {
    s->stopping = true;
    std::vector<std::shared_ptr<State::Live>> ending;
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
        if (batch.status == "queued" || batch.status == "running") batch.status = "failed";
        for (auto& t : batch.targets) {
          if (t.status != "queued" && t.status != "running") continue;
          t.status = "failed";
          t.error = Error{"shutting_down", "the coordinator stopped during the session"};
        }
      }
      session.reason = "the coordinator is stopping";
      session.status = "failed";
      session.total_ms = ms_since(live->started);
      session.finished_at_ms = unix_ms();
      s->hub.publish("session", "session_done",
                     {{"id", session.id}, {"status", session.status}, {"reason", *session.reason}});
      spdlog::warn("session {} ended by the stop", session.id);
      s->persist(live, [live, all_saved](Result<void> r) {
        live->end_committed = static_cast<bool>(r);
        all_saved(r);
      });
    }
  });
}

Scheduler::Scheduler(boost::asio::any_io_executor executor, boost::asio::any_io_executor blocking, SchedulerConfig config,
                     pool::WorkerPool& pool, store::Store& store, events::Hub& hub, TargetResolver& resolver,
                     detect::Detector* detector)
    : state_(std::make_shared<State>(std::move(executor), std::move(blocking), config, pool, store, hub, resolver,
                                     detector)) {}

Scheduler::~Scheduler() = default;

size_t Scheduler::pending_targets() const { return state_->pending.load(); }

void Scheduler::set_watched_capture(detect::WatchedCapture capture) { state_->watched_capture = std::move(capture); }

void Scheduler::set_watched_pids(WatchedPids pids) { state_->watched_pids = std::move(pids); }

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
      if (row.status != "queued" && row.status != "running") continue;
      // The row's progress is written now and then (kProgressPersistInterval); the snapshots are
      // the acknowledged results: a target whose snapshot is stored is done, whatever the row said.
      std::map<int, int64_t> stored;
      try {
        stored = store::select_session_snapshot_ids(sql, row.id);
      } catch (const std::exception& e) {
        DBG_LOG_ERROR("reading the snapshots of interrupted session {} failed: {}", row.id, e.what());
      }
      nlohmann::json& body = row.body;
      body["status"] = "failed";
      body["reason"] = "the coordinator stopped before the session ended";
      for (auto& batch : body["batches"]) {
        bool all_stored = !batch["targets"].empty();
        for (auto& t : batch["targets"]) {
          if (t.value("status", "") != "queued" && t.value("status", "") != "running") continue;
          if (auto it = stored.find(t.value("pid", 0)); it != stored.end()) {
            t["status"] = "done";
            t["snapshot_id"] = it->second;
            continue;
          }
          all_stored = false;
          t["status"] = "failed";
          t["error"] = {{"code", "interrupted"}, {"message", "the coordinator stopped during the session"}};
        }
        const std::string status = batch.value("status", "");
        if (status == "queued" || status == "running") batch["status"] = all_stored ? "done" : "failed";
      }
      row.status = "failed";
      DBG_LOG_WARN("session {} was interrupted by a coordinator stop; marked failed ({} snapshots kept)", row.id, stored.size());
      s->store.save_session(std::move(row), [](Result<void>) {});
    }
  });
  // The first flush runs the listing (which queues the saves), the second commits those saves.
  state_->store.flush();
  state_->store.flush();
}

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
      done(Error{"conflict", "session " + id + " already ended (" + session.status + ")"});
      return;
    }
    // Batches not yet dispatched are cancelled; the one in flight finishes and is kept.
    size_t dropped = 0;
    for (size_t b = live->next_batch; b < session.batches.size(); ++b) {
      session.batches[b].status = "cancelled";
      for (auto& t : session.batches[b].targets) {
        t.status = "cancelled";
        ++dropped;
      }
    }
    s->pending.fetch_sub(dropped);
    // Profiles in flight are told to stop now; each answers with what it collected, which is
    // stored and acknowledged as usual (the target ends "done" with its profile_id).
    if (session.kind == "profile" && live->next_batch > 0) {
      size_t b = live->next_batch - 1;
      for (size_t i = 0; i < session.batches[b].targets.size(); ++i) {
        if (session.batches[b].targets[i].status == "running") s->pool.cancel(State::job_tag(session, b, i));
      }
    }
    live->next_batch = session.batches.size();
    session.reason = "cancelled by request";
    // Answered once the cancellation is committed (a 200 is an acknowledgement).
    s->finish(live, "cancelled", [live, done = std::move(done)] { done(to_json(live->session)); });
  });
}

}  // namespace dbg::coord::sessions
