#include "api_fixture.hpp"

#include <unistd.h>

#include <boost/asio/thread_pool.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <string>

#include "coordinator/api/routes.hpp"
#include "coordinator/events/hub.hpp"
#include "coordinator/http/router.hpp"
#include "coordinator/policy/target_policy.hpp"
#include "coordinator/pool/worker_pool.hpp"
#include "coordinator/profiles/profile_routes.hpp"
#include "coordinator/profiles/profile_store.hpp"
#include "coordinator/ranking/process_table.hpp"
#include "coordinator/sessions/scheduler.hpp"
#include "coordinator/sessions/target_resolver.hpp"
#include "coordinator/store/store.hpp"
#include "coordinator/watch/watch_manager.hpp"
#include "coordinator/watch/watch_routes.hpp"
#include "dbg/profile.hpp"
#include "dbg/snapshot.hpp"
#include "fuzz_targets.hpp"

namespace dbg::fuzz {

namespace {

namespace net = boost::asio;
using namespace dbg::coord;

constexpr const char* kNoExecutable = "/nonexistent/dbg-worker-never-started-by-the-fuzzer";

policy::TargetPolicy refuse_everything() {
  policy::PolicyConfig config;
  config.allow_match = std::regex("[^\\s\\S]");  // a class no character is in: matches nothing
  return policy::TargetPolicy(config, static_cast<int>(::getpid()));
}

pool::PoolConfig pool_that_starts_nothing() {
  pool::PoolConfig config;
  config.worker_executable = kNoExecutable;
  config.max_workers = 0;
  return config;
}

watch::WatchManagerConfig watcher_that_starts_nothing() {
  watch::WatchManagerConfig config;
  config.watcher_executable = kNoExecutable;
  return config;
}

// Two threads with a few frames each, one blocked in futex: enough for every snapshot format
// and for group=stack to merge something.
dbg::Snapshot seed_snapshot() {
  dbg::Snapshot s;
  s.pid = 4242;
  s.comm = "seed";
  for (int tid : {4242, 4243}) {
    dbg::ThreadStack t;
    t.tid = tid;
    t.name = tid == 4242 ? "seed" : "worker;1";
    t.state = 'S';
    dbg::Frame leaf;
    leaf.pc = 0x401000;
    leaf.function = "wait_for_work(int)";
    leaf.module = "seed";
    leaf.offset = 0x1000;
    leaf.file = "seed.cpp";
    leaf.line = 12;
    dbg::Frame root;
    root.pc = 0x7f0000001000;
    root.module = "libc.so.6";
    root.offset = 0x29d90;
    t.frames = {leaf, root};
    if (tid == 4243) t.wait = dbg::ThreadWait{"futex", 0x7ffc0000, 128, 4242};
    s.threads.push_back(std::move(t));
  }
  return s;
}

dbg::Profile seed_profile() {
  dbg::Profile p;
  p.pid = 4242;
  p.comm = "seed";
  p.hz_requested = p.hz_effective = 99;
  p.duration_s = p.elapsed_s = 1;
  p.ticks = p.samples = p.samples_captured = 3;
  p.modules = {dbg::ProfileModule{"seed", "/seed", "abcd", 0x400000, 0x500000}};
  dbg::Frame f1;
  f1.function = "spin()";
  f1.module = "seed";
  f1.offset = 0x1000;
  dbg::Frame f2;
  f2.module = "seed";
  f2.offset = 0x2000;
  p.frames = {f1, f2};
  p.locations = {dbg::ProfileLocation{0x401000, 0, {0}}, dbg::ProfileLocation{0x402000, 0, {1}}};
  p.stacks = {{0, 1}, {1}};
  p.threads = {dbg::ProfileThread{4242, "seed", 2}, dbg::ProfileThread{4243, "helper", 1}};
  p.counts = {dbg::ProfileCount{0, 0, 2, 20'000'000}, dbg::ProfileCount{1, 1, 1, 10'000'000}};
  return p;
}

}  // namespace

struct ApiFixture {
  ApiFixture(net::io_context& ioc, store::Store& store, events::Hub& hub, errors::ErrorRecorder recorder)
      : pool(ioc, pool_that_starts_nothing()),
        watches(ioc, blocking.get_executor(), watcher_that_starts_nothing(), policy, store, hub, std::move(recorder)),
        scheduler(ioc.get_executor(), blocking.get_executor(), sessions::SchedulerConfig{}, pool, store, hub, resolver) {
    policy.set_worker_pids_provider([] { return std::vector<int>{}; });
  }

  net::thread_pool blocking{1};  // /proc reads, as in dbgcoord
  policy::TargetPolicy policy = refuse_everything();
  // One scan at start, then idle: no events, scans an hour apart (the fuzzer's answers come
  // from that first version).
  ranking::ProcessTable processes{ranking::ProcessTableConfig{.proc_events = false, .min_refresh = std::chrono::hours(1)}, {}};
  sessions::TargetResolver resolver{processes, policy};
  pool::WorkerPool pool;
  watch::WatchManager watches;
  sessions::Scheduler scheduler;
};

std::shared_ptr<ApiFixture> add_untraced_api_routes(http::Router& router, net::io_context& ioc, store::Store& store,
                                                    events::Hub& hub, errors::ErrorRecorder recorder) {
  auto f = std::make_shared<ApiFixture>(ioc, store, hub, std::move(recorder));
  f->processes.start();
  f->watches.start();
  api::add_api_routes(router, api::ApiContext{f->scheduler, f->resolver, store, f->blocking.get_executor(), nullptr});
  watch::add_watch_routes(router, f->watches);
  profiles::add_profile_routes(router, store);

  std::promise<bool> snapshot_saved, profile_saved;
  store.save_snapshot("s-seed", seed_snapshot(), [&](Result<int64_t> id) { snapshot_saved.set_value(id && id.value() == 1); });
  profiles::save_profile(store, "s-seed", seed_profile(), [&](Result<int64_t> id) { profile_saved.set_value(id && id.value() == 1); });
  check(snapshot_saved.get_future().get(), "the seed snapshot is not snapshot 1");
  check(profile_saved.get_future().get(), "the seed profile is not profile 1");
  return f;
}

bool started_no_process() {
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream children(task.path() / "children");
    for (int pid = 0; children >> pid;) {
      // The sanitizer runtime starts llvm-symbolizer to name functions in libFuzzer's NEW_FUNC
      // lines (a CI run failed on it); that child is the fuzzer's, not ours.
      std::ifstream comm_file("/proc/" + std::to_string(pid) + "/comm");
      std::string comm;
      std::getline(comm_file, comm);
      if (comm.find("symbolizer") == std::string::npos) return false;
    }
  }
  return true;
}

}  // namespace dbg::fuzz
