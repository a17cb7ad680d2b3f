// wait_thread (worker/ptrace/thread_wait.hpp), the one wait-with-deadline loop of the worker,
// on forked children: a status is returned as waitpid gave it, a passed deadline is one poll,
// a pid that is not ours is "gone" with waitpid's errno. No timing is asserted: deadlines are
// either already passed or far away.
#define BOOST_TEST_MODULE worker_thread_wait
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "worker/ptrace/thread_wait.hpp"

using dbg::worker::wait_thread;
using dbg::worker::Waited;
using Clock = std::chrono::steady_clock;

namespace {

// SIGCHLD blocked for the test's life, as wait_thread requires.
struct BlockSigchld {
  BlockSigchld() {
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, nullptr);
  }
};
const BlockSigchld block_sigchld;

pid_t fork_child(bool exit_at_once, int code = 0) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (exit_at_once) ::_exit(code);
    for (;;) ::pause();
  }
  BOOST_REQUIRE(pid > 0);
  return pid;
}

}  // namespace

BOOST_AUTO_TEST_CASE(wait_thread_returns_the_exit_status_of_a_child_that_exits) {
  pid_t child = fork_child(true, 3);
  Waited w = wait_thread(child, Clock::now() + std::chrono::seconds(60));
  BOOST_TEST(w.outcome == Waited::kStatus);
  BOOST_TEST(WIFEXITED(w.status));
  BOOST_TEST(WEXITSTATUS(w.status) == 3);
}

BOOST_AUTO_TEST_CASE(wait_thread_while_spinning_returns_the_same_status) {
  pid_t child = fork_child(true, 5);
  auto far = Clock::now() + std::chrono::seconds(60);
  Waited w = wait_thread(child, far, far);  // yield-polls all the way instead of sleeping
  BOOST_TEST(w.outcome == Waited::kStatus);
  BOOST_TEST(WEXITSTATUS(w.status) == 5);
}

BOOST_AUTO_TEST_CASE(wait_thread_with_a_passed_deadline_times_out_on_a_running_child) {
  pid_t child = fork_child(false);
  Waited w = wait_thread(child, Clock::now() - std::chrono::seconds(1));
  BOOST_TEST(w.outcome == Waited::kTimeout);
  ::kill(child, SIGKILL);
  Waited killed = wait_thread(child, Clock::now() + std::chrono::seconds(60));
  BOOST_TEST(killed.outcome == Waited::kStatus);
  BOOST_TEST(WIFSIGNALED(killed.status));
  BOOST_TEST(WTERMSIG(killed.status) == SIGKILL);
}

BOOST_AUTO_TEST_CASE(wait_thread_on_a_pid_that_is_not_ours_is_gone_with_echild) {
  Waited w = wait_thread(1, Clock::now() + std::chrono::seconds(60));
  BOOST_TEST(w.outcome == Waited::kGone);
  BOOST_TEST(w.error == ECHILD);
}

BOOST_AUTO_TEST_CASE(wait_thread_on_a_reaped_child_is_gone) {
  pid_t child = fork_child(true);
  BOOST_TEST(wait_thread(child, Clock::now() + std::chrono::seconds(60)).outcome == Waited::kStatus);
  Waited again = wait_thread(child, Clock::now() + std::chrono::seconds(60));
  BOOST_TEST(again.outcome == Waited::kGone);
  BOOST_TEST(again.error == ECHILD);
}
