// The session scheduler against a fake job queue and a fixed target list, with a real store (a
// temporary SQLite file) and hub. Deterministic: the test drives the io_context by hand and
// waits for the store with flush(), so every step runs to completion before it is checked;
// jobs end only when the test answers them.
#define BOOST_TEST_MODULE coordinator_scheduler
#include <boost/test/unit_test.hpp>

#include <boost/asio/io_context.hpp>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/events/hub.hpp"
#include "coordinator/pool/worker_pool.hpp"
#include "coordinator/sessions/scheduler.hpp"
#include "coordinator/sessions/session.hpp"
#include "coordinator/sessions/session_request.hpp"
#include "coordinator/sessions/target_source.hpp"
#include "coordinator/store/store.hpp"
#include "dbg/protocol.hpp"
#include "dbg/snapshot.hpp"
#include "dbg/snapshot_wire.hpp"
#include "tests/integration/coordinator_test_client.hpp"

using namespace dbg;
using namespace dbg::coord;
using nlohmann::json;

namespace {

// Jobs wait here until the test answers them; at most `capacity` may wait at once.
class FakeJobQueue : public pool::JobQueue {
 public:
  struct Entry {
    pool::Job job;
    Done done;        // submit()
    RawDone raw_done;  // submit_raw()
    bool answered = false;
  };

  bool submit(pool::Job job, Done done) override { return add(Entry{std::move(job), std::move(done), nullptr}); }
  bool submit_raw(pool::Job job, RawDone done) override { return add(Entry{std::move(job), nullptr, std::move(done)}); }
  void cancel(std::string tag) override { cancelled.push_back(std::move(tag)); }
  std::vector<int> worker_pids() const override { return {}; }

  // A snapshot of the job's pid, as a worker would send it.
  void answer_snapshot(size_t n) {
    Snapshot snap;
    snap.pid = jobs.at(n).job.pid;
    snap.comm = "fake";
    std::string text;
    append_snapshot_json(text, snap);
    answer_raw(n, std::move(text));
  }
  void answer_raw(size_t n, Result<std::string> r) {
    Entry& e = take(n);
    e.raw_done(std::move(r));
  }
  void answer(size_t n, Result<json> r) {
    Entry& e = take(n);
    if (e.done) return e.done(std::move(r));
    if (!r) return e.raw_done(r.error());
    e.raw_done(r.value().dump());
  }
  std::vector<int> pids() const {
    std::vector<int> out;
    for (const auto& e : jobs) out.push_back(e.job.pid);
    return out;
  }

  size_t capacity = 1000;
  std::deque<Entry> jobs;  // every job ever queued, in submission order
  std::vector<std::string> cancelled;

 private:
  bool add(Entry e) {
    size_t waiting = 0;
    for (const auto& j : jobs) waiting += j.answered ? 0 : 1;
    if (waiting >= capacity) return false;
    jobs.push_back(std::move(e));
    return true;
  }
  Entry& take(size_t n) {
    Entry& e = jobs.at(n);
    BOOST_REQUIRE(!e.answered);
    e.answered = true;
    return e;
  }
};

class FixedTargets : public sessions::TargetSource {
 public:
  Result<std::vector<sessions::ResolvedTarget>> resolve(const sessions::SessionRequest&) override { return targets; }
  Result<std::vector<sessions::ResolvedTarget>> targets = std::vector<sessions::ResolvedTarget>{};
};

// Every event published, parsed.
class EventLog : public events::Subscriber {
 public:
  void deliver(std::shared_ptr<const std::string> message) override { events.push_back(json::parse(*message)); }
  bool wants(std::string_view) const override { return true; }
  std::vector<json> of_type(const std::string& type) const {
    std::vector<json> out;
    for (const auto& e : events)
      if (e.at("type") == type) out.push_back(e.at("data"));
    return out;
  }
  std::vector<json> events;
};

struct Fixture {
  Fixture() : store(store::Store::open(dir.path() / "test.db")) {
    hub.subscribe(log);
    make_scheduler({});
  }
  ~Fixture() {
    settle();
    scheduler.reset();
  }

  void make_scheduler(sessions::SchedulerConfig config) {
    scheduler = std::make_unique<sessions::Scheduler>(ioc.get_executor(), ioc.get_executor(), config, queue, *store,
                                                      hub, targets, nullptr);
  }

  // Runs everything that is ready: handlers on the io_context, then whatever they queued in the
  // store (whose answers come back as more handlers), until nothing is left.
  void settle() {
    for (;;) {
      ioc.restart();
      size_t ran = ioc.poll();
      store->flush();
      ioc.restart();
      ran += ioc.poll();
      if (ran == 0) return;
    }
  }

  void set_targets(int first_pid, size_t n) {
    std::vector<sessions::ResolvedTarget> list;
    // The source answers in rank order: the highest score first.
    for (size_t i = 0; i < n; ++i) list.push_back({first_pid + static_cast<int>(i), "t", 100.0 - static_cast<double>(i)});
    targets.targets = list;
  }

  Result<json> create(const std::string& body) {
    auto request = sessions::parse_session_request(body);
    BOOST_REQUIRE(request.ok());
    std::optional<Result<json>> answer;
    scheduler->create(std::move(request.value()), [&](Result<json> r) { answer = std::move(r); });
    settle();
    BOOST_REQUIRE(answer.has_value());
    return std::move(*answer);
  }
  std::string create_ok(const std::string& body) {
    auto r = create(body);
    BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    return r.value().at("id").get<std::string>();
  }

  json get(const std::string& id) {
    std::optional<Result<json>> answer;
    scheduler->get(id, [&](Result<json> r) { answer = std::move(r); });
    settle();
    BOOST_REQUIRE(answer.has_value() && answer->ok());
    return answer->value();
  }

  Result<json> cancel(const std::string& id) {
    std::optional<Result<json>> answer;
    scheduler->cancel(id, [&](Result<json> r) { answer = std::move(r); });
    settle();
    BOOST_REQUIRE(answer.has_value());
    return std::move(*answer);
  }

  // Answers every job not answered yet with a snapshot.
  void answer_all_snapshots() {
    for (size_t n = 0; n < queue.jobs.size(); ++n)
      if (!queue.jobs[n].answered) queue.answer_snapshot(n);
    settle();
  }

  static std::vector<std::string> statuses(const json& batch) {
    std::vector<std::string> out;
    for (const auto& t : batch.at("targets")) out.push_back(t.at("status"));
    return out;
  }

  coord::test::TempDir dir;
  boost::asio::io_context ioc;
  std::unique_ptr<store::Store> store;
  events::Hub hub;
  std::shared_ptr<EventLog> log = std::make_shared<EventLog>();
  FakeJobQueue queue;
  FixedTargets targets;
  std::unique_ptr<sessions::Scheduler> scheduler;
};

const char* kSnapshotBody = R"({"kind":"snapshot","targets":{"all":true}})";

std::vector<int> range(int first, int n) {
  std::vector<int> out;
  for (int i = 0; i < n; ++i) out.push_back(first + i);
  return out;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(scheduler_dispatches_batches_of_eight_in_rank_order_one_after_another, Fixture) {
  set_targets(100, 20);
  const std::string id = create_ok(kSnapshotBody);
  // Batch 0 only: the next goes out once every result of this one is back.
  BOOST_TEST(queue.pids() == range(100, 8));
  json s = get(id);
  BOOST_TEST(s.at("status") == "running");
  BOOST_TEST(s.at("batches").size() == 3u);
  BOOST_TEST(s.at("batches")[0].at("status") == "running");
  BOOST_TEST(s.at("batches")[1].at("status") == "queued");
  BOOST_TEST(statuses(s.at("batches")[2]) == std::vector<std::string>(4, "queued"));
  BOOST_TEST(scheduler->pending_targets() == 20u);

  for (size_t n = 0; n < 7; ++n) queue.answer_snapshot(n);
  settle();
  BOOST_TEST(queue.jobs.size() == 8u);  // one result of batch 0 still missing
  queue.answer_snapshot(7);
  settle();
  BOOST_TEST(queue.pids() == range(100, 16));
  answer_all_snapshots();
  BOOST_TEST(queue.pids() == range(100, 20));
  answer_all_snapshots();

  s = get(id);
  BOOST_TEST(s.at("status") == "done");
  BOOST_TEST(s.at("progress") == json({{"total", 20}, {"done", 20}, {"failed", 0}, {"cancelled", 0}}));
  for (const auto& batch : s.at("batches")) {
    BOOST_TEST(batch.at("status") == "done");
    for (const auto& t : batch.at("targets")) BOOST_TEST(t.at("snapshot_id").is_number_integer());
  }
  BOOST_TEST(scheduler->pending_targets() == 0u);

  auto dispatched = log->of_type("batch_dispatched");
  BOOST_REQUIRE(dispatched.size() == 3u);
  BOOST_TEST(dispatched[1].at("pids").get<std::vector<int>>() == range(108, 8));
  BOOST_TEST(log->of_type("snapshot_stored").size() == 20u);
  BOOST_TEST(log->of_type("batch_done").size() == 3u);
  auto created = log->of_type("session_created");
  BOOST_REQUIRE(created.size() == 1u);
  BOOST_TEST(created[0] == json({{"id", id}, {"targets", 20}, {"batches", 3}}));
  auto done = log->of_type("session_done");
  BOOST_REQUIRE(done.size() == 1u);
  BOOST_TEST(done[0].at("status") == "done");
}

BOOST_FIXTURE_TEST_CASE(scheduler_job_carries_the_options_without_the_deadline, Fixture) {
  set_targets(300, 1);
  create_ok(R"({"targets":{"all":true},"options":{"max_depth":20,"deadline_ms":5000}})");
  BOOST_REQUIRE(queue.jobs.size() == 1u);
  const pool::Job& job = queue.jobs[0].job;
  BOOST_TEST(job.kind == "snapshot");
  BOOST_TEST(job.pid == 300);
  BOOST_TEST(job.deadline.count() == 5000);
  BOOST_TEST(!job.options.contains("deadline_ms"));
  BOOST_TEST(job.options.at("max_depth") == 20);
  BOOST_TEST(job.tag.empty());  // only profiles are cancellable
  BOOST_TEST(!static_cast<bool>(queue.jobs[0].done));  // a snapshot comes back as text (submit_raw)
}

BOOST_FIXTURE_TEST_CASE(scheduler_fails_one_target_and_finishes_the_rest, Fixture) {
  set_targets(200, 3);
  const std::string id = create_ok(kSnapshotBody);
  queue.answer_snapshot(0);
  queue.answer_raw(1, Error{"process_gone", "pid 201 exited"});
  queue.answer_raw(2, std::string("{not json"));
  settle();
  json s = get(id);
  BOOST_TEST(s.at("status") == "done");
  BOOST_TEST(statuses(s.at("batches")[0]) == (std::vector<std::string>{"done", "failed", "failed"}));
  BOOST_TEST(s.at("batches")[0].at("targets")[1].at("error").at("code") == "process_gone");
  BOOST_TEST(s.at("batches")[0].at("targets")[2].at("error").at("code") == "worker_protocol_error");
  BOOST_TEST(s.at("progress").at("failed") == 2);
  auto failed = log->of_type("job_failed");
  BOOST_REQUIRE(failed.size() == 2u);
  BOOST_TEST(failed[0].at("pid") == 201);
  BOOST_TEST(failed[0].at("error").at("code") == "process_gone");
  auto batch_done = log->of_type("batch_done");
  BOOST_REQUIRE(batch_done.size() == 1u);
  BOOST_TEST(batch_done[0].at("progress") == json({{"total", 3}, {"done", 1}, {"failed", 2}}));
}

BOOST_FIXTURE_TEST_CASE(scheduler_fails_targets_the_full_pool_queue_refuses, Fixture) {
  queue.capacity = 3;
  set_targets(400, 5);
  const std::string id = create_ok(kSnapshotBody);
  BOOST_TEST(queue.jobs.size() == 3u);
  json s = get(id);
  BOOST_TEST(statuses(s.at("batches")[0]) == (std::vector<std::string>{"running", "running", "running", "failed", "failed"}));
  BOOST_TEST(s.at("batches")[0].at("targets")[4].at("error").at("code") == "queue_full");
  answer_all_snapshots();
  BOOST_TEST(get(id).at("progress") == json({{"total", 5}, {"done", 3}, {"failed", 2}, {"cancelled", 0}}));
}

BOOST_FIXTURE_TEST_CASE(scheduler_refuses_a_session_beyond_its_pending_targets, Fixture) {
  sessions::SchedulerConfig config;
  config.max_pending_targets = 10;
  make_scheduler(config);
  set_targets(500, 6);
  create_ok(kSnapshotBody);
  auto refused = create(kSnapshotBody);  // 6 waiting + 6 > 10
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.error().code == "queue_full");
  BOOST_TEST(scheduler->pending_targets() == 6u);
  BOOST_TEST(log->of_type("session_created").size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(scheduler_admits_a_session_over_10000_targets_on_its_defaults, Fixture) {
  // Issue #23: a session over "all" on a 10,000-process host, the defaults untouched (it was 503).
  make_scheduler(sessions::SchedulerConfig{});
  set_targets(1000, 10000);
  const std::string id = create_ok(kSnapshotBody);
  BOOST_TEST(scheduler->pending_targets() == 10000u);
  BOOST_TEST(get(id).at("progress").at("total") == 10000);
  BOOST_TEST(queue.jobs.size() == 8u);  // still one batch at a time to the workers
  set_targets(20000, 22768);            // up to the default's 32768 together
  create_ok(kSnapshotBody);
  set_targets(50000, 1);
  auto refused = create(kSnapshotBody);
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.error().code == "queue_full");
}

BOOST_FIXTURE_TEST_CASE(scheduler_cancel_drops_queued_batches_and_keeps_the_one_in_flight, Fixture) {
  set_targets(600, 12);
  const std::string id = create_ok(kSnapshotBody);
  auto cancelled = cancel(id);
  BOOST_REQUIRE(cancelled.ok());
  BOOST_TEST(cancelled.value().at("status") == "cancelled");
  BOOST_TEST(cancelled.value().at("reason") == "cancelled by request");
  BOOST_TEST(cancelled.value().at("batches")[1].at("status") == "cancelled");
  BOOST_TEST(statuses(cancelled.value().at("batches")[1]) == std::vector<std::string>(4, "cancelled"));
  BOOST_TEST(scheduler->pending_targets() == 8u);  // the batch in flight
  BOOST_TEST(log->of_type("session_cancelled").size() == 1u);
  BOOST_TEST(queue.cancelled.empty());  // snapshots are not interrupted

  answer_all_snapshots();
  BOOST_TEST(queue.jobs.size() == 8u);  // batch 1 never went out
  json s = get(id);
  BOOST_TEST(s.at("status") == "cancelled");
  BOOST_TEST(s.at("batches")[0].at("status") == "done");
  BOOST_TEST(statuses(s.at("batches")[0]) == std::vector<std::string>(8, "done"));
  BOOST_TEST(scheduler->pending_targets() == 0u);

  auto again = cancel(id);
  BOOST_REQUIRE(!again.ok());
  BOOST_TEST(again.error().code == "conflict");
  auto missing = cancel("s-0-000000");
  BOOST_REQUIRE(!missing.ok());
  BOOST_TEST(missing.error().code == "not_found");
}

BOOST_FIXTURE_TEST_CASE(scheduler_profile_jobs_share_the_budget_report_progress_and_stop_on_cancel, Fixture) {
  sessions::SchedulerConfig config;
  config.profile_memory_bytes = 4 << 20;
  make_scheduler(config);
  set_targets(700, 2);
  const std::string id = create_ok(R"({"kind":"profile","targets":{"all":true},"options":{"hz":99,"duration_s":2}})");
  BOOST_REQUIRE(queue.jobs.size() == 2u);
  const pool::Job& first = queue.jobs[0].job;
  BOOST_TEST(first.kind == "profile");
  BOOST_TEST(first.options.at("max_bytes") == 2 << 20);   // half of the budget
  BOOST_TEST(queue.jobs[1].job.options.at("max_bytes") == 1 << 20);  // half of what was left
  BOOST_TEST(first.deadline.count() == 30'000 + 2'000);  // the sampling, then the usual allowance
  BOOST_TEST(first.tag == id + "/0/0");
  BOOST_TEST(static_cast<bool>(queue.jobs[0].done));  // a profile comes back as JSON

  first.on_progress(json{{"samples", 5}});
  settle();
  auto progress = log->of_type("profile_progress");
  BOOST_REQUIRE(progress.size() == 1u);
  BOOST_TEST(progress[0] == json({{"samples", 5}, {"session_id", id}, {"pid", 700}}));
  BOOST_TEST(get(id).at("batches")[0].at("targets")[0].at("progress") == json({{"samples", 5}}));

  BOOST_REQUIRE(cancel(id).ok());
  BOOST_TEST(queue.cancelled == (std::vector<std::string>{id + "/0/0", id + "/0/1"}));

  queue.answer(0, json{{"unexpected", true}, {"samples", "many"}});
  queue.answer(1, Error{"process_gone", "gone"});
  settle();
  json s = get(id);
  BOOST_TEST(statuses(s.at("batches")[0]) == (std::vector<std::string>{"failed", "failed"}));
  BOOST_TEST(s.at("batches")[0].at("targets")[0].at("error").at("code") == "worker_protocol_error");
  BOOST_TEST(scheduler->pending_targets() == 0u);
}

BOOST_FIXTURE_TEST_CASE(scheduler_names_the_crash_watch_when_a_profile_finds_the_pid_traced, Fixture) {
  scheduler->set_watched_pids([](std::function<void(std::vector<int>)> done) { done({801}); });
  set_targets(800, 2);
  const std::string id = create_ok(R"({"kind":"profile","targets":{"all":true},"options":{"duration_s":1}})");
  queue.answer(0, Error{"already_traced", "another tracer"});
  queue.answer(1, Error{"already_traced", "another tracer"});
  settle();
  const json targets = get(id).at("batches")[0].at("targets");
  BOOST_TEST(targets[0].at("error").at("message") == "another tracer");  // not watched by us
  const std::string watched = targets[1].at("error").at("message");
  BOOST_TEST(watched.find("crash watch") != std::string::npos);
  BOOST_TEST(targets[1].at("error").at("code") == "already_traced");
}

BOOST_FIXTURE_TEST_CASE(scheduler_takes_snapshots_of_watched_pids_from_the_watcher, Fixture) {
  std::vector<json> asked;
  scheduler->set_watched_capture([&](int pid, json options, std::chrono::milliseconds,
                                     std::function<void(Result<Snapshot>)> done) {
    asked.push_back(options);
    if (pid != 901) return done(Error{"not_watched", "not watched"});
    Snapshot snap;
    snap.pid = pid;
    snap.consistency = "process";
    done(snap);
  });
  set_targets(900, 2);
  const std::string id = create_ok(kSnapshotBody);
  BOOST_REQUIRE(asked.size() == 2u);
  BOOST_TEST(asked[0].at("consistency") == "process");
  BOOST_TEST(queue.pids() == std::vector<int>{900});  // the one no watch holds
  answer_all_snapshots();
  json s = get(id);
  BOOST_TEST(s.at("status") == "done");
  BOOST_TEST(statuses(s.at("batches")[0]) == (std::vector<std::string>{"done", "done"}));
}

BOOST_FIXTURE_TEST_CASE(scheduler_without_a_detector_fails_detect_sessions_as_internal, Fixture) {
  set_targets(1000, 2);
  const std::string id = create_ok(R"({"targets":{"all":true},"options":{"detect":"deadlock"}})");
  BOOST_TEST(queue.jobs.empty());
  json s = get(id);
  BOOST_TEST(s.at("status") == "done");
  BOOST_TEST(s.at("batches")[0].at("targets")[0].at("error").at("code") == "internal");
  BOOST_TEST(s.at("batches")[0].at("targets")[0].at("findings").is_null());
}

BOOST_FIXTURE_TEST_CASE(scheduler_refuses_a_profile_longer_than_configured, Fixture) {
  sessions::SchedulerConfig config;
  config.max_profile_duration_s = 10;
  make_scheduler(config);
  set_targets(1100, 1);
  auto r = create(R"({"kind":"profile","targets":{"all":true},"options":{"duration_s":20}})");
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code == "bad_request");
  BOOST_TEST(r.error().message.find("maximum of 10 s") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(scheduler_passes_resolution_errors_on, Fixture) {
  targets.targets = Error{"forbidden", "pid 1: pid_1"};
  auto r = create(kSnapshotBody);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code == "forbidden");
  BOOST_TEST(log->of_type("session_created").empty());
}

BOOST_FIXTURE_TEST_CASE(scheduler_shutdown_fails_unfinished_sessions_and_refuses_new_ones, Fixture) {
  set_targets(1200, 10);
  const std::string id = create_ok(kSnapshotBody);
  bool stopped = false;
  scheduler->shutdown([&] { stopped = true; });
  settle();
  BOOST_TEST(stopped);
  json s = get(id);
  BOOST_TEST(s.at("status") == "failed");
  BOOST_TEST(s.at("reason") == "the coordinator is stopping");
  BOOST_TEST(s.at("batches")[0].at("status") == "failed");
  BOOST_TEST(s.at("batches")[1].at("status") == "failed");
  BOOST_TEST(s.at("batches")[0].at("targets")[0].at("error").at("code") == "shutting_down");

  // A worker's late answer changes nothing: the stop's error stands.
  queue.answer_raw(0, Error{"shutting_down", "the pool is stopping"});
  queue.answer_snapshot(1);
  settle();
  s = get(id);
  BOOST_TEST(s.at("batches")[0].at("targets")[0].at("error").at("message") == "the coordinator stopped during the session");
  BOOST_TEST(queue.jobs.size() == 8u);  // nothing dispatched after the stop

  auto refused = create(kSnapshotBody);
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.error().code == "shutting_down");
}

BOOST_FIXTURE_TEST_CASE(scheduler_marks_sessions_interrupted_by_a_previous_stop_failed, Fixture) {
  set_targets(1300, 2);
  const std::string id = create_ok(kSnapshotBody);
  queue.answer_snapshot(0);
  settle();
  // A new scheduler over the same store, as after a crash: the session row still says running.
  make_scheduler({});
  scheduler->fail_interrupted_sessions();
  json s = get(id);
  BOOST_TEST(s.at("status") == "failed");
  BOOST_TEST(s.at("reason") == "the coordinator stopped before the session ended");
  BOOST_TEST(statuses(s.at("batches")[0]) == (std::vector<std::string>{"done", "failed"}));
  BOOST_TEST(s.at("batches")[0].at("targets")[0].at("snapshot_id").is_number_integer());
  BOOST_TEST(s.at("batches")[0].at("targets")[1].at("error").at("code") == "interrupted");
  BOOST_TEST(s.at("batches")[0].at("status") == "failed");
}

BOOST_AUTO_TEST_CASE(session_text_is_the_json_tree_dumped_byte_for_byte) {
  // to_json_text writes what to_json + dump wrote (GET /sessions/{id} and the stored row), for
  // every kind of target: done with a snapshot, failed with an error, queued; profile and detect.
  for (const std::string kind : {"snapshot", "profile", "detect"}) {
    sessions::Session s;
    s.id = "s-" + kind;
    s.kind = kind == "profile" ? "profile" : "snapshot";
    s.status = sessions::Status::running;
    s.targets_spec = json{{"match", "^x\xff$"}};  // invalid UTF-8: replaced the same way
    if (kind == "detect") s.options["detect"] = true;
    s.created_at_ms = 1700000000000;
    s.total_ms = 12.5;
    for (int b = 0; b < 3; ++b) {
      sessions::SessionBatch batch{b, b == 0 ? sessions::Status::done : sessions::Status::queued, {}, {}};
      if (b == 0) batch.elapsed_ms = 3.25;
      for (int i = 0; i < 4; ++i) {
        sessions::SessionTarget t{100 + b * 10 + i, "comm\"" + std::to_string(i), 0.1 * i, sessions::Status::queued, 0, {}, {}, {},
                                  nullptr, nullptr};
        if (i == 1) {
          t.status = sessions::Status::done;
          t.snapshot_id = 77;
          t.profile_id = 78;
          t.progress = json{{"samples", 5}};
          t.findings = json::array({json{{"kind", "deadlock"}}});
        }
        if (i == 2) {
          t.status = sessions::Status::failed;
          t.error = Error{"process_gone", "gone \xc3"};
        }
        batch.targets.push_back(t);
      }
      s.batches.push_back(batch);
    }
    BOOST_TEST_INFO(kind);
    BOOST_TEST(sessions::to_json_text(s) == protocol::dump(sessions::to_json(s)));
    json shown = sessions::to_json(s);
    shown["status"] = sessions::Status::done;
    BOOST_TEST(sessions::to_json_text(s, sessions::Status::done) == protocol::dump(shown));
  }
}
