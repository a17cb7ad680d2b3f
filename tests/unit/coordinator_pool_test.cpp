// pool::WorkerPool with a fake `dbg-worker serve`: a shell script that answers each job with
// the pid of the process that served it, dies when asked for pid 2, and for pid 3 holds its job
// until it is told to cancel. Real processes and pipes; no timing in the assertions.
#define BOOST_TEST_MODULE coordinator_pool
#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <vector>

#include "coordinator/pool/worker_pool.hpp"
#include "coordinator_pool_test_support.hpp"

namespace pool = dbg::coord::pool;
using nlohmann::json;

namespace {

using dbg::test::IgnoreSigpipe;
BOOST_TEST_GLOBAL_FIXTURE(IgnoreSigpipe);

const char* kFakeWorker = R"sh(#!/bin/sh
field() { printf '%s' "$2" | sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"; }
while read line; do
  id=$(field id "$line")
  case "$(field kind "$line")" in
    ping) printf '{"v":1,"id":"%s","type":"pong"}\n' "$id"; continue ;;
  esac
  case "$(field pid "$line")" in
    2) exit 1 ;;
    3) read cancel
       printf '{"v":1,"id":"%s","type":"result","result":{"stopped_by":"%s"}}\n' "$id" "$(field kind "$cancel")"
       continue ;;
  esac
  printf '{"v":1,"id":"%s","type":"result","result":{"served_by":%d}}\n' "$id" $$
done
)sh";

struct Fixture {
  boost::asio::io_context ioc;
  dbg::test::ScriptFile worker{kFakeWorker, /*executable=*/true};
  std::vector<pool::PoolEvent> events;
  std::optional<pool::WorkerPool> pool;

  explicit Fixture(size_t max_workers = 1) {
    pool::PoolConfig config;
    config.worker_executable = worker.path();
    config.max_workers = max_workers;
    pool.emplace(ioc, config, [this](const pool::PoolEvent& e) { events.push_back(e); });
  }
  ~Fixture() {
    pool.reset();
    ioc.poll();
  }

  static pool::Job job(int pid, std::string tag = {}) {
    pool::Job j;
    j.pid = pid;
    j.tag = std::move(tag);
    return j;
  }

  template <typename Pred>
  void run_until(Pred done) {
    dbg::test::run_until(ioc, done);
  }
};

using Answer = std::optional<dbg::Result<json>>;

pool::WorkerPool::Done into(Answer& a) {
  return [&a](dbg::Result<json> r) { a = std::move(r); };
}

}  // namespace

BOOST_AUTO_TEST_CASE(pool_replaces_a_worker_that_dies_mid_job_and_fails_only_that_job) {
  Fixture f;
  Answer dies, after;
  // One worker at most: the second job waits in the queue and runs on the replacement.
  BOOST_REQUIRE(f.pool->submit(Fixture::job(2), into(dies)));
  BOOST_REQUIRE(f.pool->submit(Fixture::job(1), into(after)));
  f.run_until([&] { return dies && after; });

  BOOST_REQUIRE(!*dies);
  BOOST_TEST(dies->error().code == "worker_crashed");
  BOOST_TEST(dies->error().message.find("exited") != std::string::npos, dies->error().message);
  BOOST_REQUIRE(*after);

  std::vector<std::string> types;
  for (const auto& e : f.events) types.push_back(e.type);
  BOOST_TEST((types == std::vector<std::string>{"worker_started", "worker_replaced", "worker_started"}));
  BOOST_TEST(f.events[1].worker_pid == f.events[0].worker_pid);
  // The job after the crash was served by the new worker.
  BOOST_TEST(after->value().at("served_by") == f.events[2].worker_pid);
  BOOST_TEST(f.pool->worker_pids() == std::vector<int>{f.events[2].worker_pid});

  auto stats = f.pool->stats();
  BOOST_TEST(stats.workers_started == 2u);
  BOOST_TEST(stats.workers_replaced == 1u);
  BOOST_TEST(stats.jobs_failed == 1u);
  BOOST_TEST(stats.jobs_done == 1u);
  BOOST_TEST(stats.busy == 0u);
}

BOOST_AUTO_TEST_CASE(pool_reuses_an_idle_worker_and_returns_raw_results_as_text) {
  Fixture f;
  Answer first;
  std::optional<dbg::Result<std::string>> raw;
  BOOST_REQUIRE(f.pool->submit(Fixture::job(1), into(first)));
  BOOST_REQUIRE(f.pool->submit_raw(Fixture::job(1), [&](dbg::Result<std::string> r) { raw = std::move(r); }));
  f.run_until([&] { return first && raw; });
  BOOST_REQUIRE(*first);
  BOOST_REQUIRE(*raw);
  int served_by = first->value().at("served_by");
  BOOST_TEST(raw->value() == "{\"served_by\":" + std::to_string(served_by) + "}");
  BOOST_TEST(f.pool->stats().workers_started == 1u);
}

BOOST_AUTO_TEST_CASE(pool_cancels_a_queued_job_at_once_and_asks_a_running_one_to_stop) {
  Fixture f;
  Answer running, queued;
  BOOST_REQUIRE(f.pool->submit(Fixture::job(3, "running"), into(running)));
  BOOST_REQUIRE(f.pool->submit(Fixture::job(1, "queued"), into(queued)));
  f.pool->cancel("queued");
  f.run_until([&] { return queued.has_value(); });
  BOOST_REQUIRE(!*queued);
  BOOST_TEST(queued->error().code == "cancelled");
  BOOST_TEST(!running.has_value());

  f.pool->cancel("running");
  f.run_until([&] { return running.has_value(); });
  BOOST_REQUIRE(*running);
  BOOST_TEST(running->value().at("stopped_by") == "cancel");
}

BOOST_AUTO_TEST_CASE(pool_shutdown_fails_queued_and_running_jobs_with_shutting_down) {
  Fixture f;
  Answer running, queued;
  BOOST_REQUIRE(f.pool->submit(Fixture::job(3), into(running)));
  BOOST_REQUIRE(f.pool->submit(Fixture::job(1), into(queued)));
  f.run_until([&] { return f.pool->stats().busy == 1u; });
  f.pool->shutdown();
  f.run_until([&] { return running && queued; });
  BOOST_REQUIRE(!*queued);
  BOOST_TEST(queued->error().code == "shutting_down");
  BOOST_REQUIRE(!*running);
  BOOST_TEST(running->error().code == "shutting_down");
  Answer late;
  f.run_until([&] { return f.pool->stats().workers == 0u; });
  BOOST_TEST(f.pool->submit(Fixture::job(1), into(late)));
  f.run_until([&] { return late.has_value(); });
  BOOST_TEST(late->error().code == "shutting_down");
}
