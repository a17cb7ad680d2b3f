#define BOOST_TEST_MODULE coordinator_procfs_reader
#include <boost/test/unit_test.hpp>
// Unit test of the /proc reader over a fake proc root: a temporary directory laid out like
// /proc/PID/{stat,status,comm,cmdline}, so odd names, kernel threads and half-written
// (vanishing) entries are exact and repeatable.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "coordinator/procfs/proc_reader.hpp"
#include "coordinator/procfs/process_match.hpp"
#include "dbg/proc_stat.hpp"
#include "coordinator/procfs/utf8.hpp"

namespace fs = std::filesystem;
using dbg::coord::procfs::read_all_processes;
using dbg::coord::procfs::read_process;

namespace {

struct FakeProcess {
  int pid = 100;
  int ppid = 1;
  std::string comm = "worker";
  char state = 'S';
  unsigned long flags = 0x00400040;  // PF_FORKNOEXEC | PF_RANDOMIZE-ish: not a kernel thread
  unsigned long utime = 7, stime = 3, start = 12345;
  long rss_pages = 256;
  int threads = 1;
  std::string cmdline = std::string("/usr/bin/worker\0--flag\0value\0", 29);
  unsigned uid = 1000;
  int tgid = 0;  // 0: same as pid
};

class FakeProc {
 public:
  FakeProc() {
    std::random_device rd;
    root_ = fs::temp_directory_path() / ("dbg_fake_proc_" + std::to_string(::getpid()) + "_" + std::to_string(rd()));
    fs::create_directories(root_);
  }
  ~FakeProc() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  std::string root() const { return root_.string(); }

  static std::string stat_line(const FakeProcess& p) {
    // Fields 1..24 and a few after, as the kernel writes them.
    std::ostringstream s;
    s << p.pid << " (" << p.comm << ") " << p.state << ' ' << p.ppid << " 100 100 0 -1 " << p.flags
      << " 50 0 0 0 " << p.utime << ' ' << p.stime << " 0 0 20 0 " << p.threads << " 0 " << p.start
      << " 10485760 " << p.rss_pages << " 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
    return s.str();
  }

  void write(const std::string& pid_dir, const std::string& name, const std::string& content) {
    fs::create_directories(root_ / pid_dir);
    std::ofstream(root_ / pid_dir / name, std::ios::binary) << content;
  }

  void add(const FakeProcess& p) {
    auto dir = std::to_string(p.pid);
    write(dir, "stat", stat_line(p));
    write(dir, "comm", p.comm + "\n");
    write(dir, "cmdline", p.cmdline);
    write(dir, "status", "Name:\t" + p.comm + "\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t" +
                             std::to_string(p.tgid ? p.tgid : p.pid) + "\nPid:\t" + std::to_string(p.pid) +
                             "\nPPid:\t" + std::to_string(p.ppid) + "\nUid:\t" + std::to_string(p.uid) +
                             "\t0\t0\t0\nGid:\t0\t0\t0\t0\n");
  }

  void remove(const std::string& relative) { fs::remove_all(root_ / relative); }

 private:
  fs::path root_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(reads_every_field) {
  FakeProc proc;
  FakeProcess p;
  proc.add(p);
  auto s = read_process(100, proc.root());
  BOOST_TEST_REQUIRE(s.has_value());
  BOOST_TEST(s->pid == 100);
  BOOST_TEST(s->ppid == 1);
  BOOST_TEST(s->uid == 1000u);
  BOOST_TEST(s->comm == "worker");
  BOOST_TEST(s->cmdline == "/usr/bin/worker --flag value");
  BOOST_TEST(s->state == 'S');
  BOOST_TEST(s->utime_ticks == 7u);
  BOOST_TEST(s->stime_ticks == 3u);
  BOOST_TEST(s->start_time_ticks == 12345u);
  BOOST_TEST(s->rss_bytes == 256u * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)));
  BOOST_TEST(s->threads == 1);
  BOOST_TEST(!s->kernel_thread);
}

BOOST_AUTO_TEST_CASE(comm_with_spaces_and_parentheses) {
  FakeProc proc;
  FakeProcess p;
  p.comm = "a) (b c) x";  // stat must be split at the *last* ')'
  p.state = 'D';
  p.threads = 12;
  proc.add(p);
  auto s = read_process(100, proc.root());
  BOOST_TEST_REQUIRE(s.has_value());
  BOOST_TEST(s->comm == "a) (b c) x");
  BOOST_TEST(s->state == 'D');
  BOOST_TEST(s->threads == 12);
  BOOST_TEST(s->utime_ticks == 7u);

  // And the parser alone, when the comm file is gone: stat's comm is the fallback.
  proc.remove("100/comm");
  s = read_process(100, proc.root());
  BOOST_TEST_REQUIRE(s.has_value());
  BOOST_TEST(s->comm == "a) (b c) x");
}

BOOST_AUTO_TEST_CASE(cmdline_trailing_nuls_trimmed_and_empty_for_kernel_threads) {
  FakeProc proc;
  FakeProcess p;
  p.cmdline = std::string("sleep\0" "10\0\0\0", 11);
  proc.add(p);
  auto s = read_process(100, proc.root());
  BOOST_TEST_REQUIRE(s.has_value());
  BOOST_TEST(s->cmdline == "sleep 10");
}

BOOST_AUTO_TEST_CASE(kernel_threads_by_flag_and_by_kthreadd_parent) {
  FakeProc proc;
  FakeProcess kthreadd;
  kthreadd.pid = 2;
  kthreadd.ppid = 0;
  kthreadd.comm = "kthreadd";
  kthreadd.cmdline = "";
  kthreadd.uid = 0;
  proc.add(kthreadd);

  FakeProcess by_flag;  // PF_KTHREAD set, whatever the parent
  by_flag.pid = 50;
  by_flag.ppid = 0;
  by_flag.comm = "kworker/0:1-events";
  by_flag.cmdline = "";
  by_flag.flags = 0x04208040;
  proc.add(by_flag);

  FakeProcess by_parent;  // an old kernel's stat without the flag: ppid 2 and no cmdline
  by_parent.pid = 51;
  by_parent.ppid = 2;
  by_parent.comm = "rcu_sched";
  by_parent.cmdline = "";
  proc.add(by_parent);

  FakeProcess container_pid2;  // in a container's pid namespace pid 2 is a normal program
  container_pid2.pid = 52;
  container_pid2.ppid = 2;
  proc.add(container_pid2);

  auto all = read_all_processes(proc.root());
  BOOST_TEST_REQUIRE(all.size() == 4u);
  BOOST_TEST(all[0].pid == 2);
  BOOST_TEST(all[0].kernel_thread);
  BOOST_TEST(all[1].pid == 50);
  BOOST_TEST(all[1].kernel_thread);
  BOOST_TEST(all[1].comm == "kworker/0:1-events");
  BOOST_TEST(all[1].cmdline == "");
  BOOST_TEST(all[2].kernel_thread);
  BOOST_TEST(!all[3].kernel_thread);
}

BOOST_AUTO_TEST_CASE(missing_and_vanishing_entries_are_skipped) {
  FakeProc proc;
  for (int pid : {300, 20, 1000, 7}) {
    FakeProcess p;
    p.pid = pid;
    proc.add(p);
  }
  proc.remove("1000/stat");   // vanished before stat was read
  proc.remove("20/status");   // vanished between stat and status
  proc.write("400", "stat", "");                // empty: exited while being read
  proc.write("401", "stat", "401 (trunc) S 1 2");  // truncated line
  proc.write("self", "stat", FakeProc::stat_line(FakeProcess{}));  // not a pid directory
  proc.write("0012", "stat", "");                  // not a canonical pid
  proc.write("", "uptime", "1.0 1.0\n");           // a plain file at the top

  auto all = read_all_processes(proc.root());
  BOOST_TEST_REQUIRE(all.size() == 2u);
  BOOST_TEST(all[0].pid == 7);  // sorted by pid
  BOOST_TEST(all[1].pid == 300);

  BOOST_TEST(!read_process(1000, proc.root()).has_value());
  BOOST_TEST(!read_process(20, proc.root()).has_value());
  BOOST_TEST(!read_process(4242, proc.root()).has_value());
  BOOST_TEST(!read_process(0, proc.root()).has_value());
  BOOST_TEST(!read_process(-5, proc.root()).has_value());
  BOOST_TEST(read_all_processes(proc.root() + "/does-not-exist").empty());
}

BOOST_AUTO_TEST_CASE(a_thread_id_is_not_a_process) {
  FakeProc proc;
  FakeProcess thread;
  thread.pid = 501;
  thread.tgid = 500;
  proc.add(thread);
  BOOST_TEST(!read_process(501, proc.root()).has_value());
}

BOOST_AUTO_TEST_CASE(stat_pid_must_match_directory) {
  FakeProc proc;
  FakeProcess p;
  p.pid = 600;
  proc.add(p);
  FakeProcess other;
  other.pid = 601;
  proc.write("600", "stat", FakeProc::stat_line(other));
  BOOST_TEST(!read_process(600, proc.root()).has_value());
}

BOOST_AUTO_TEST_CASE(parse_stat_rejects_garbage) {
  using dbg::procfs::parse_stat;
  BOOST_TEST(!parse_stat("").has_value());
  BOOST_TEST(!parse_stat("12 comm S 1").has_value());
  BOOST_TEST(!parse_stat("x (a) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 0 1").has_value());
  BOOST_TEST(!parse_stat("12 (a) S one 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 0 1").has_value());
  auto ok = parse_stat("12 (a) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 0 1");
  BOOST_TEST_REQUIRE(ok.has_value());
  BOOST_TEST(ok->start_time == 5u);
  BOOST_TEST(ok->rss_pages == 1u);
}

BOOST_AUTO_TEST_CASE(parse_status_reads_uid_tgid_and_voluntary_switches) {
  auto f = dbg::procfs::parse_status("Name:\tx\nTgid:\t41\nUid:\t1000\t1000\t1000\t1000\n"
                                     "voluntary_ctxt_switches:\t1234\nnonvoluntary_ctxt_switches:\t7\n");
  BOOST_TEST(f.tgid.value_or(0) == 41);
  BOOST_TEST(f.real_uid.value_or(0) == 1000u);
  BOOST_TEST(f.voluntary_ctxt_switches.value_or(0) == 1234u);
  BOOST_TEST(!dbg::procfs::parse_status("voluntary_ctxt_switches:\tmany\n").voluntary_ctxt_switches.has_value());
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_repaired) {
  using dbg::coord::procfs::to_valid_utf8;
  BOOST_TEST(to_valid_utf8("plain") == "plain");
  BOOST_TEST(to_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") == "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  BOOST_TEST(to_valid_utf8("a\xFF" "b") == "a\xEF\xBF\xBD" "b");
  BOOST_TEST(to_valid_utf8("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");      // overlong '/'
  BOOST_TEST(to_valid_utf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  BOOST_TEST(to_valid_utf8("x\xE2\x82") == "x\xEF\xBF\xBD\xEF\xBF\xBD");   // truncated at the end
}

BOOST_AUTO_TEST_CASE(patterns_compile_and_match_comm_or_cmdline) {
  using dbg::coord::procfs::compile_pattern;
  using dbg::coord::procfs::matches_comm_or_cmdline;
  dbg::coord::procfs::ProcessSample p;
  p.comm = "postgres";
  p.cmdline = "/usr/lib/postgresql/15/bin/postgres -D /var/lib/db";

  auto by_comm = compile_pattern("^postgres$");
  BOOST_TEST_REQUIRE(by_comm.ok());
  BOOST_TEST(matches_comm_or_cmdline(*by_comm, p));
  auto by_cmdline = compile_pattern("-D /var/lib");
  BOOST_TEST_REQUIRE(by_cmdline.ok());
  BOOST_TEST(matches_comm_or_cmdline(*by_cmdline, p));
  auto neither = compile_pattern("^mysql");
  BOOST_TEST_REQUIRE(neither.ok());
  BOOST_TEST(!matches_comm_or_cmdline(*neither, p));

  for (std::string bad : {std::string(""), std::string("(open"), std::string("[z-a]"), std::string(2000, 'a')}) {
    auto r = compile_pattern(bad);
    BOOST_TEST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().code == "invalid_regex");
  }
}
