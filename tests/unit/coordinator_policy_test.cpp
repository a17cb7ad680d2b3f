#define BOOST_TEST_MODULE coordinator_policy
#include <boost/test/unit_test.hpp>
// Unit test of the target policy's rules over synthetic samples: the order of the rules, the
// codes, the worker provider (changing, throwing, concurrent).
#include <unistd.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "coordinator/policy/target_policy.hpp"
#include "coordinator/procfs/process_match.hpp"

using namespace dbg::coord::policy;
using dbg::coord::procfs::ProcessSample;

namespace {

constexpr int kCoordinator = 4000;

ProcessSample ours(int pid, std::string comm = "app") {
  ProcessSample s;
  s.pid = pid;
  s.ppid = 1;
  s.uid = ::getuid();
  s.comm = std::move(comm);
  s.cmdline = "/opt/" + s.comm + " --serve";
  s.state = 'S';
  s.threads = 1;
  return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(identity_rules_come_first) {
  TargetPolicy policy({}, kCoordinator);
  policy.set_worker_pids_provider([] { return std::vector<int>{4001, 4002}; });

  auto init = ours(1, "init");
  init.kernel_thread = true;  // pid 1 is reported as pid_1, whatever else is true
  BOOST_TEST(policy.check(init).code == "pid_1");
  BOOST_TEST(!policy.check(init).allowed);
  BOOST_TEST(policy.check(ours(kCoordinator)).code == "coordinator");
  BOOST_TEST(policy.check(ours(4002)).code == "worker");
  BOOST_TEST(policy.check(ours(1)).reason.find("init") != std::string::npos);

  auto allowed = policy.check(ours(5000));
  BOOST_TEST(allowed.allowed);
  BOOST_TEST(allowed.code == "");
}

BOOST_AUTO_TEST_CASE(kernel_threads_other_users_and_allowlist) {
  PolicyConfig config;
  config.allow_match = *dbg::coord::procfs::compile_pattern("^(postgres|app)$");
  TargetPolicy policy(config, kCoordinator);

  auto k = ours(50, "kworker/0:1");
  k.cmdline = "";
  k.kernel_thread = true;
  BOOST_TEST(policy.check(k).code == "kernel_thread");

  auto other = ours(51);
  other.uid = ::getuid() + 1;
  auto d = policy.check(other);
  BOOST_TEST(!d.allowed);
  BOOST_TEST(d.code == "other_user");
  BOOST_TEST(d.reason.find(std::to_string(other.uid)) != std::string::npos);

  BOOST_TEST(policy.check(ours(52, "nginx")).code == "not_allowlisted");
  BOOST_TEST(policy.check(ours(53, "app")).allowed);
  auto by_cmdline = ours(54, "python3");
  by_cmdline.cmdline = "postgres";
  BOOST_TEST(policy.check(by_cmdline).allowed);

  PolicyConfig open;
  open.allow_other_users = true;
  TargetPolicy permissive(open, kCoordinator);
  BOOST_TEST(permissive.check(other).allowed);
  BOOST_TEST(permissive.check(ours(52, "nginx")).allowed);
  BOOST_TEST(permissive.check(k).code == "kernel_thread");  // never, whatever the configuration
}

BOOST_AUTO_TEST_CASE(provider_is_asked_at_each_check) {
  TargetPolicy policy({}, kCoordinator);
  std::atomic<int> worker{6000};
  policy.set_worker_pids_provider([&] { return std::vector<int>{worker.load()}; });
  BOOST_TEST(policy.check(ours(6000)).code == "worker");
  worker = 6001;  // the pool replaced a worker
  BOOST_TEST(policy.check(ours(6000)).allowed);
  BOOST_TEST(policy.check(ours(6001)).code == "worker");

  policy.set_worker_pids_provider(nullptr);
  BOOST_TEST(policy.check(ours(6001)).allowed);
}

BOOST_AUTO_TEST_CASE(a_failing_provider_denies) {
  TargetPolicy policy({}, kCoordinator);
  policy.set_worker_pids_provider([]() -> std::vector<int> { throw std::runtime_error("pool is shutting down"); });
  auto d = policy.check(ours(7000));
  BOOST_TEST(!d.allowed);
  BOOST_TEST(d.code == "worker");
}

BOOST_AUTO_TEST_CASE(nonexistent_pid_under_a_fake_root) {
  TargetPolicy policy({}, kCoordinator, "/nonexistent-proc-root");
  BOOST_TEST(policy.check(12345).code == "not_found");
  BOOST_TEST(policy.check(0).code == "not_found");
  BOOST_TEST(policy.check(-1).code == "not_found");
  // Identity rules need no /proc.
  BOOST_TEST(policy.check(1).code == "pid_1");
  BOOST_TEST(policy.check(kCoordinator).code == "coordinator");
}

BOOST_AUTO_TEST_CASE(concurrent_checks_and_provider_changes) {
  TargetPolicy policy({}, kCoordinator);
  std::atomic<bool> stop{false};
  std::thread setter([&] {
    for (int i = 0; !stop; ++i) policy.set_worker_pids_provider([i] { return std::vector<int>{8000 + i % 2}; });
  });
  int denied = 0;
  for (int i = 0; i < 20000; ++i) {
    auto d = policy.check(ours(8000));
    BOOST_REQUIRE(d.allowed || d.code == "worker");
    denied += d.allowed ? 0 : 1;
  }
  stop = true;
  setter.join();
  BOOST_TEST_MESSAGE("denied " << denied << " of 20000 checks");
}

BOOST_AUTO_TEST_CASE(policy_is_movable) {
  TargetPolicy policy({}, kCoordinator);
  policy.set_worker_pids_provider([] { return std::vector<int>{9000}; });
  TargetPolicy moved(std::move(policy));
  BOOST_TEST(moved.check(ours(9000)).code == "worker");
}
