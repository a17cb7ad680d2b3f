#pragma once
// Scheduler::State, the scheduler's state on its strand (internal to coordinator/sessions/).
// Split by job over three files:
//   scheduler_state.cpp    a session's life: admission, batches, dispatch, progress, the end
//   target_outcomes.cpp    one target's outcome (the JobSink the runners report to): failed,
//                          or its snapshot / profile stored and acknowledged
//   scheduler_stop.cpp     the coordinator's stop, and the sessions a previous stop interrupted
// How each kind of job runs is the runners' (job_runner.hpp).
#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "coordinator/sessions/detect_runner.hpp"
#include "coordinator/sessions/profile_runner.hpp"
#include "coordinator/sessions/scheduler.hpp"
#include "coordinator/sessions/snapshot_runner.hpp"
#include "coordinator/sessions/target_source.hpp"
#include "coordinator/sessions/watched_capture_runner.hpp"

namespace dbg::coord::sessions {

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
  using LivePtr = std::shared_ptr<Live>;

  // A running session's row is rewritten with its progress at most this often. Each rewrite
  // serializes every target of the session, and a snapshot session ends in tens of ms: writing
  // it per batch cost a tenth of the coordinator's CPU for no reader. What is acknowledged is
  // the snapshot row (committed before its batch_done), and a restart rebuilds the progress of an
  // interrupted session from those (fail_interrupted_sessions).
  static constexpr auto kProgressPersistInterval = std::chrono::milliseconds(250);

  State(boost::asio::any_io_executor executor, boost::asio::any_io_executor blocking, SchedulerConfig config,
        pool::JobQueue& pool, store::Store& store, events::Hub& hub, TargetSource& resolver,
        detect::Detector* detector);

  boost::asio::strand<boost::asio::any_io_executor> strand;
  boost::asio::any_io_executor blocking;
  SchedulerConfig config;
  pool::JobQueue& pool;
  store::Store& store;
  events::Hub& hub;
  TargetSource& resolver;
  detect::Detector* detector;
  SnapshotRunner snapshot_runner;
  WatchedCaptureRunner watched_runner;  // without a capture set: every snapshot goes to the pool
  ProfileRunner profile_runner;
  DetectRunner detect_runner;
  std::map<std::string, LivePtr> sessions;
  std::deque<std::string> finished_order;  // oldest first, to bound memory
  std::atomic<size_t> pending{0};          // targets admitted and not finished
  bool stopping = false;                   // shutdown(): no new sessions, none dispatched

  // Runs `f` on the strand from a store callback (which runs on the store's thread).
  template <typename F>
  void on_strand(F&& f) {
    boost::asio::post(strand, std::forward<F>(f));
  }

  // scheduler_state.cpp
  // The session as the API may show it: what is committed, never more.
  static nlohmann::json visible_json(const Live& live);
  static std::string visible_text(const Live& live);  // the same, as text (no tree)
  static double ms_since(std::chrono::steady_clock::time_point t);
  static std::string job_tag(const Session& s, size_t b, size_t i);
  static nlohmann::json progress(const Session& s);
  void persist(const LivePtr& live, std::function<void(Result<void>)> done = nullptr);
  void admit(SessionRequest request, std::vector<ResolvedTarget> targets, JsonDone done);
  void reject(const LivePtr& live, const std::string& reason);
  // Batches not yet dispatched are cancelled (they and their targets); none is dispatched after.
  void drop_undispatched(Live& live);
  void dispatch_next_batch(const LivePtr& live);
  // The jobs of batch b, once its targets' start times were read again (start_now[i], nullopt:
  // the process is gone): a target whose process changed fails instead of being captured.
  void start_batch_jobs(const LivePtr& live, size_t b, const std::vector<std::optional<std::uint64_t>>& start_now);
  JobRunner& runner_for(const SessionRequest& request);
  void target_captured(const LivePtr& live, size_t b);
  void target_finished(const LivePtr& live, size_t b);
  void finish(const LivePtr& live, SessionStatus status, std::function<void()> committed = nullptr);
  void persist_end(const LivePtr& live, std::function<void()> committed);

  // target_outcomes.cpp
  class TargetSink;  // the JobSink of one target
  std::shared_ptr<JobSink> sink_for(const LivePtr& live, size_t b, size_t i);
  void job_failed(const LivePtr& live, size_t b, size_t i, const Error& error);
  // An answer for a session whose row could not be stored (reject()) is not used: the target
  // fails with "session_not_stored"; true when that happened.
  bool failed_as_rejected(const LivePtr& live, size_t b, size_t i);
  void store_snapshot(const LivePtr& live, size_t b, size_t i, Snapshot snap);
  void store_profile(const LivePtr& live, size_t b, size_t i, Profile profile);
  void on_detected(const LivePtr& live, size_t b, size_t i, detect::DetectOutcome outcome);
  void on_progress(const LivePtr& live, size_t b, size_t i, const nlohmann::json& progress);
  // A store's answer for a target's result: done (`acknowledge` records the id and publishes)
  // or failed with "store_failed"; either way the target is finished.
  void result_stored(const LivePtr& live, size_t b, size_t i, const Result<int64_t>& id,
                     const std::function<void(SessionTarget&, int64_t)>& acknowledge);
};

}  // namespace dbg::coord::sessions
