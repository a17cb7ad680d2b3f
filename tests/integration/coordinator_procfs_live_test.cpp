#define BOOST_TEST_MODULE coordinator_procfs_live
#include <boost/test/unit_test.hpp>
// The /proc reader against real processes: the chain target (known threads, blocked) and a
// forked child that spins (known comm, single thread).
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>

#include "coordinator/procfs/proc_reader.hpp"
#include "test_support.hpp"

using dbg::coord::procfs::read_all_processes;
using dbg::coord::procfs::read_process;
using namespace std::chrono_literals;

namespace {

// The child renames itself right after fork; wait until /proc shows it.
bool wait_for_comm(pid_t pid, const std::string& comm) {
  for (int i = 0; i < 500; ++i) {
    auto s = read_process(pid);
    if (s && s->comm == comm) return true;
    ::usleep(10000);
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(reads_the_chain_target) {
  dbg::test::ChildProcess chain({dbg::test::target_path("chain"), "3"});
  BOOST_TEST_REQUIRE(chain.wait_for_line("ready", 10s));

  auto s = read_process(chain.pid());
  BOOST_TEST_REQUIRE(s.has_value());
  BOOST_TEST(s->pid == chain.pid());
  BOOST_TEST(s->ppid == ::getpid());
  BOOST_TEST(s->uid == ::getuid());
  BOOST_TEST(s->comm == "chain");
  BOOST_TEST(s->cmdline == dbg::test::target_path("chain") + " 3");
  BOOST_TEST(s->threads == 3);
  // The main thread prints "ready" just before it blocks in pause().
  for (int i = 0; i < 500 && s && s->state != 'S'; ++i) {
    ::usleep(10000);
    s = read_process(chain.pid());
  }
  BOOST_TEST_REQUIRE(s.has_value());
  BOOST_TEST(s->state == 'S');
  BOOST_TEST(s->rss_bytes > 0u);
  BOOST_TEST(s->start_time_ticks > 0u);
  BOOST_TEST(!s->kernel_thread);

  // A non-leader thread id opens under /proc but is not a process.
  auto tids = dbg::test::thread_ids(chain.pid());
  BOOST_TEST_REQUIRE(tids.size() == 3u);
  for (pid_t tid : tids) {
    if (tid != chain.pid()) BOOST_TEST(!read_process(tid).has_value());
  }
}

BOOST_AUTO_TEST_CASE(reads_a_spinning_child) {
  dbg::test::Spinner spinner;
  BOOST_TEST_REQUIRE(wait_for_comm(spinner.pid(), "dbg_spinner"));
  auto s = read_process(spinner.pid());
  BOOST_TEST_REQUIRE(s.has_value());
  BOOST_TEST(s->threads == 1);
  BOOST_TEST(s->ppid == ::getpid());
  // The forked child shares our command line.
  auto self = read_process(::getpid());
  BOOST_TEST_REQUIRE(self.has_value());
  BOOST_TEST(s->cmdline == self->cmdline);
}

BOOST_AUTO_TEST_CASE(read_all_lists_live_processes_sorted) {
  dbg::test::ChildProcess chain({dbg::test::target_path("chain"), "3"});
  BOOST_TEST_REQUIRE(chain.wait_for_line("ready", 10s));
  dbg::test::Spinner spinner;
  BOOST_TEST_REQUIRE(wait_for_comm(spinner.pid(), "dbg_spinner"));

  auto all = read_all_processes();
  BOOST_TEST(std::is_sorted(all.begin(), all.end(), [](auto& a, auto& b) { return a.pid < b.pid; }));
  auto find = [&](int pid) { return std::find_if(all.begin(), all.end(), [&](auto& p) { return p.pid == pid; }); };
  BOOST_TEST_REQUIRE((find(chain.pid()) != all.end()));
  BOOST_TEST(find(chain.pid())->threads == 3);
  BOOST_TEST_REQUIRE((find(spinner.pid()) != all.end()));
  BOOST_TEST(find(spinner.pid())->comm == "dbg_spinner");
  BOOST_TEST((find(::getpid()) != all.end()));
  // Threads are not listed as processes.
  for (pid_t tid : dbg::test::thread_ids(chain.pid())) {
    if (tid != chain.pid()) BOOST_TEST((find(tid) == all.end()));
  }
}

BOOST_AUTO_TEST_CASE(kthreadd_is_a_kernel_thread) {
  std::string comm;
  std::ifstream("/proc/2/comm") >> comm;
  if (comm != "kthreadd") {
    BOOST_TEST_MESSAGE("pid 2 is not kthreadd here (a pid namespace?); skipped");
    return;
  }
  auto s = read_process(2);
  BOOST_TEST_REQUIRE(s.has_value());
  BOOST_TEST(s->kernel_thread);
  BOOST_TEST(s->cmdline == "");
  auto all = read_all_processes();
  auto kernel = std::count_if(all.begin(), all.end(), [](auto& p) { return p.kernel_thread; });
  BOOST_TEST(kernel >= 2);  // kthreadd and at least one of its children
  for (const auto& p : all) {
    if (p.pid == ::getpid()) BOOST_TEST(!p.kernel_thread);
  }
}

BOOST_AUTO_TEST_CASE(a_reaped_process_is_gone) {
  pid_t pid = ::fork();
  BOOST_TEST_REQUIRE(pid >= 0);
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  BOOST_TEST(!read_process(pid).has_value());
}
