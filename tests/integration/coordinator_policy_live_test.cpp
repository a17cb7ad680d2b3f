#define BOOST_TEST_MODULE coordinator_policy_live
#include <boost/test/unit_test.hpp>
// The target policy against real processes: init, ourselves, kernel threads, a child running
// as another user, the chain target.
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "coordinator/policy/target_policy.hpp"
#include "coordinator/procfs/process_match.hpp"
#include "coordinator/procfs/proc_reader.hpp"
#include "test_support.hpp"

using namespace dbg::coord::policy;
using namespace std::chrono_literals;

namespace {

constexpr uid_t kNobody = 65534;

// A forked child that drops to uid/gid 65534 and waits; ready once the drop is visible.
class OtherUserChild {
 public:
  OtherUserChild() {
    int fds[2];
    BOOST_REQUIRE(::pipe(fds) == 0);
    pid_ = ::fork();
    BOOST_REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::close(fds[0]);
      bool ok = ::setgroups(0, nullptr) == 0 && ::setgid(kNobody) == 0 && ::setuid(kNobody) == 0;
      char c = ok ? '1' : '0';
      (void)!::write(fds[1], &c, 1);
      ::close(fds[1]);
      for (;;) ::pause();
    }
    ::close(fds[1]);
    char c = '0';
    ok_ = ::read(fds[0], &c, 1) == 1 && c == '1';
    ::close(fds[0]);
  }
  ~OtherUserChild() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  OtherUserChild(const OtherUserChild&) = delete;
  OtherUserChild& operator=(const OtherUserChild&) = delete;
  pid_t pid() const { return pid_; }
  bool ok() const { return ok_; }

 private:
  pid_t pid_ = -1;
  bool ok_ = false;
};

}  // namespace

BOOST_AUTO_TEST_CASE(pid_1_and_the_coordinator_are_denied) {
  TargetPolicy policy({}, ::getpid());
  auto d = policy.check(1);
  BOOST_TEST(!d.allowed);
  BOOST_TEST(d.code == "pid_1");
  d = policy.check(::getpid());
  BOOST_TEST(!d.allowed);
  BOOST_TEST(d.code == "coordinator");
}

BOOST_AUTO_TEST_CASE(workers_from_the_provider_are_denied) {
  dbg::test::ChildProcess worker({dbg::test::target_path("chain"), "1"});
  BOOST_TEST_REQUIRE(worker.wait_for_line("ready", 10s));
  TargetPolicy policy({}, ::getpid());
  BOOST_TEST(policy.check(worker.pid()).allowed);
  const int pid = worker.pid();
  policy.set_worker_pids_provider([pid] { return std::vector<int>{pid}; });
  auto d = policy.check(worker.pid());
  BOOST_TEST(!d.allowed);
  BOOST_TEST(d.code == "worker");
}

BOOST_AUTO_TEST_CASE(kernel_threads_are_denied) {
  std::string comm;
  std::ifstream("/proc/2/comm") >> comm;
  if (comm != "kthreadd") {
    BOOST_TEST_MESSAGE("pid 2 is not kthreadd here (a pid namespace?); skipped");
    return;
  }
  PolicyConfig open;
  open.allow_other_users = true;
  TargetPolicy policy(open, ::getpid());
  BOOST_TEST(policy.check(2).code == "kernel_thread");

  // The other kernel threads (children of kthreadd). Some, like kworkers, come and go, so one
  // may have exited by the time it is checked: denied either way, never allowed.
  int kernel_threads = 0;
  for (const auto& p : dbg::coord::procfs::read_all_processes()) {
    if (p.ppid != 2 || !p.kernel_thread) continue;
    auto d = policy.check(p.pid);
    BOOST_TEST(!d.allowed);
    BOOST_TEST((d.code == "kernel_thread" || d.code == "not_found"), p.comm << ": " << d.code);
    kernel_threads += d.code == "kernel_thread" ? 1 : 0;
  }
  BOOST_TEST(kernel_threads > 0);
}

BOOST_AUTO_TEST_CASE(a_nonexistent_pid_is_not_found) {
  pid_t pid = ::fork();
  BOOST_TEST_REQUIRE(pid >= 0);
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);  // reaped: the pid is free (and almost surely unused again yet)
  TargetPolicy policy({}, ::getpid());
  auto d = policy.check(pid);
  BOOST_TEST(!d.allowed);
  BOOST_TEST(d.code == "not_found");
  BOOST_TEST(policy.check(0x3fffffff).code == "not_found");
}

BOOST_AUTO_TEST_CASE(a_thread_id_is_not_a_target) {
  dbg::test::ChildProcess chain({dbg::test::target_path("chain"), "3"});
  BOOST_TEST_REQUIRE(chain.wait_for_line("ready", 10s));
  TargetPolicy policy({}, ::getpid());
  for (pid_t tid : dbg::test::thread_ids(chain.pid())) {
    if (tid != chain.pid()) BOOST_TEST(policy.check(tid).code == "not_found");
  }
}

BOOST_AUTO_TEST_CASE(another_users_process_needs_allow_other_users) {
  if (::geteuid() != 0) {
    BOOST_TEST_MESSAGE("not root: cannot start a process as another user; skipped");
    return;
  }
  OtherUserChild child;
  BOOST_TEST_REQUIRE(child.ok());
  auto sample = dbg::coord::procfs::read_process(child.pid());
  BOOST_TEST_REQUIRE(sample.has_value());
  BOOST_TEST(sample->uid == kNobody);

  TargetPolicy strict({}, ::getpid());
  auto d = strict.check(child.pid());
  BOOST_TEST(!d.allowed);
  BOOST_TEST(d.code == "other_user");

  PolicyConfig open;
  open.allow_other_users = true;
  TargetPolicy permissive(open, ::getpid());
  BOOST_TEST(permissive.check(child.pid()).allowed);
}

BOOST_AUTO_TEST_CASE(allowlist_and_the_chain_target) {
  dbg::test::ChildProcess chain({dbg::test::target_path("chain"), "3"});
  BOOST_TEST_REQUIRE(chain.wait_for_line("ready", 10s));

  TargetPolicy plain({}, ::getpid());
  auto d = plain.check(chain.pid());
  BOOST_TEST(d.allowed, d.code + ": " + d.reason);

  PolicyConfig only_postgres;
  only_postgres.allow_match = *dbg::coord::procfs::compile_pattern("^postgres");
  TargetPolicy strict(only_postgres, ::getpid());
  d = strict.check(chain.pid());
  BOOST_TEST(!d.allowed);
  BOOST_TEST(d.code == "not_allowlisted");

  PolicyConfig only_chain;
  only_chain.allow_match = *dbg::coord::procfs::compile_pattern("^chain$");
  TargetPolicy matching(only_chain, ::getpid());
  BOOST_TEST(matching.check(chain.pid()).allowed);
}
