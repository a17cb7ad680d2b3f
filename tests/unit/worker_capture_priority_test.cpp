// CapturePriority (worker/capture/capture_priority.hpp): the capture window's real-time class.
// Checked on this process and on forked children: inside the scope the thread is SCHED_FIFO,
// after it the old class is back; "normal" leaves the class alone; without the privilege the
// request falls back and says why; a window that runs past RLIMIT_RTTIME's soft limit without
// blocking is demoted by SIGXCPU instead of holding a CPU. Nothing here is timed: the demotion
// is driven by CPU time the kernel accounts, and the loop that waits for it has a CPU-time cap.
#define BOOST_TEST_MODULE worker_capture_priority
#include <boost/test/unit_test.hpp>

#include <pwd.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "worker/capture/capture_priority.hpp"
#include "worker/ptrace/thread_wait.hpp"

using dbg::worker::CapturePolicy;
using dbg::worker::CapturePriority;

namespace {

bool running_as_root() { return ::geteuid() == 0; }

double thread_cpu_s() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Runs f in a forked child; its return value is the child's exit code (0: passed).
template <typename F>
int in_child(F f) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(f());
  BOOST_REQUIRE(pid > 0);
  int status = 0;
  BOOST_REQUIRE_EQUAL(::waitpid(pid, &status, 0), pid);
  BOOST_REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

}  // namespace

BOOST_AUTO_TEST_CASE(realtime_only_inside_the_window) {
  if (!running_as_root()) return;  // the fallback case below covers the unprivileged path
  BOOST_REQUIRE_EQUAL(::sched_getscheduler(0), SCHED_OTHER);
  {
    CapturePriority window(CapturePolicy::kRealtime);
    BOOST_TEST((::sched_getscheduler(0) & ~SCHED_RESET_ON_FORK) == SCHED_FIFO);
    BOOST_TEST((::sched_getscheduler(0) & SCHED_RESET_ON_FORK) != 0);
    sched_param p{};
    ::sched_getparam(0, &p);
    BOOST_TEST(p.sched_priority == 1);
    auto report = window.report();
    BOOST_TEST(report.sched_class == "realtime");
    BOOST_TEST(report.reason == "");
    rlimit rt{};
    BOOST_REQUIRE_EQUAL(::getrlimit(RLIMIT_RTTIME, &rt), 0);
    BOOST_TEST(rt.rlim_cur != RLIM_INFINITY);  // never real-time without a bound
    BOOST_TEST(rt.rlim_max != RLIM_INFINITY);
  }
  BOOST_TEST(::sched_getscheduler(0) == SCHED_OTHER);
}

BOOST_AUTO_TEST_CASE(a_realtime_window_polls_shorter_and_restores_the_poll) {
  if (!running_as_root() || std::getenv("DBG_CAPTURE_SPIN_US")) return;  // the override wins
  using std::chrono::microseconds;
  BOOST_TEST(dbg::worker::stop_spin().count() == 100);
  {
    CapturePriority window(CapturePolicy::kRealtime);
    BOOST_TEST(dbg::worker::stop_spin().count() == 20);
  }
  BOOST_TEST(dbg::worker::stop_spin().count() == 100);
  {
    CapturePriority window(CapturePolicy::kNormal);
    BOOST_TEST(dbg::worker::stop_spin().count() == 100);
  }
}

BOOST_AUTO_TEST_CASE(normal_leaves_the_class_alone) {
  CapturePriority window(CapturePolicy::kNormal);
  BOOST_TEST(::sched_getscheduler(0) == SCHED_OTHER);
  BOOST_TEST(window.report().sched_class == "normal");
  BOOST_TEST(window.report().reason == "configured");
}

BOOST_AUTO_TEST_CASE(without_privilege_it_falls_back_and_says_why) {
  int rc = in_child([] {
    if (running_as_root()) {
      // Become an ordinary user: no CAP_SYS_NICE, RLIMIT_RTPRIO 0.
      rlimit none{0, 0};
      if (::setrlimit(RLIMIT_RTPRIO, &none) != 0) return 10;
      const passwd* nobody = ::getpwnam("nobody");
      if (!nobody || ::setgid(nobody->pw_gid) != 0 || ::setuid(nobody->pw_uid) != 0) return 11;
    }
    CapturePriority window(CapturePolicy::kRealtime);
    if (::sched_getscheduler(0) != SCHED_OTHER) return 12;
    auto report = window.report();
    if (report.sched_class != "normal") return 13;
    if (report.reason.find("sched_setscheduler(SCHED_FIFO)") == std::string::npos) return 14;
    return 0;
  });
  BOOST_TEST(rc == 0);
}

BOOST_AUTO_TEST_CASE(a_window_that_never_blocks_is_demoted_at_the_soft_limit) {
  if (!running_as_root()) return;
  int rc = in_child([] {
    CapturePriority window(CapturePolicy::kRealtime);
    if ((::sched_getscheduler(0) & ~SCHED_RESET_ON_FORK) != SCHED_FIFO) return 20;
    // Spin without blocking until SIGXCPU demotes us; give up at 1.5 s of CPU (the hard limit,
    // 2 s, would have killed us by then had the soft limit not acted).
    double start = thread_cpu_s();
    volatile unsigned long x = 0;
    while ((::sched_getscheduler(0) & ~SCHED_RESET_ON_FORK) == SCHED_FIFO && thread_cpu_s() - start < 1.5) x = x + 1;
    if ((::sched_getscheduler(0) & ~SCHED_RESET_ON_FORK) == SCHED_FIFO) return 21;
    if (window.report().reason.find("demoted") == std::string::npos) return 22;
    return 0;
  });
  BOOST_TEST(rc == 0);
}

BOOST_AUTO_TEST_CASE(parses_the_two_policies_only) {
  CapturePolicy p{};
  BOOST_TEST(dbg::worker::parse_capture_policy("realtime", p));
  BOOST_TEST((p == CapturePolicy::kRealtime));
  BOOST_TEST(dbg::worker::parse_capture_policy("normal", p));
  BOOST_TEST((p == CapturePolicy::kNormal));
  BOOST_TEST(!dbg::worker::parse_capture_policy("fifo", p));
  BOOST_TEST(!dbg::worker::parse_capture_policy("", p));
}
