// chain_core (worker/core/core_chain.hpp) against real processes and a real core, without
// changing core_pattern: a crasher dumps its core with the host's "core" pattern into a temp
// directory (gcore of a sleeper when the pattern is something else), and a live sleeping process
// of the test's plays the crasher whose /proc/PID (cwd, root, exe, ids) the chain reads. The core
// goes through a real pipe, fed by a thread, so a chain that stopped draining would show as a
// writer that could not finish.
//
// File chain: a byte-identical sparse core where the pattern says; %c cuts it (holes do not
// count), %c 0 and below a page write nothing; core_uses_pid; relative patterns from the
// crasher's cwd; a planted symlink is replaced, never followed; the crasher's uid decides what
// may be created; %d 0 and %d 2.
// Pipe chain: a shell script runs with its arguments expanded, an empty environment, the kernel
// helper's state, the pidfd for %F, no descriptor of ours, and the core byte-identical on stdin;
// a helper that closes its stdin early still leaves stdin drained; one that outlives the wait is
// left running; one that stops reading is given up on.
#define BOOST_TEST_MODULE worker_core_chain
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"
#include "worker/core/core_chain.hpp"
#include "worker/core/core_pattern_expand.hpp"

namespace fs = std::filesystem;
using namespace dbg::worker::core;
using namespace std::chrono_literals;

namespace {

constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;
constexpr size_t kPage = 4096;

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const std::string& path, const std::string& text, mode_t mode = 0644) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// A directory under /tmp, readable by nobody (mkdtemp makes it 0700), removed afterwards.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/dbg-core-chain-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
    ::chmod(path_.c_str(), 0755);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name, mode_t mode = 0755) const {
    const std::string p = path_ + "/" + name;
    ::mkdir(p.c_str(), mode);
    ::chmod(p.c_str(), mode);  // past the umask
    return p;
  }

 private:
  std::string path_;
};

bool all_zero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i] != 0) return false;
  return true;
}

size_t zero_pages(const std::vector<uint8_t>& core) {
  size_t n = 0;
  for (size_t off = 0; off < core.size(); off += kPage)
    if (all_zero(core.data() + off, std::min(kPage, core.size() - off))) ++n;
  return n;
}

// Bytes of the file in data extents (SEEK_DATA/SEEK_HOLE): what a sparse file really holds.
uint64_t data_bytes(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return UINT64_MAX;
  uint64_t total = 0;
  off_t pos = 0;
  for (;;) {
    const off_t data = ::lseek(fd, pos, SEEK_DATA);
    if (data < 0) break;
    const off_t hole = ::lseek(fd, data, SEEK_HOLE);
    total += static_cast<uint64_t>(hole - data);
    pos = hole;
  }
  ::close(fd);
  return total;
}

// The real core every test feeds: made once, by the kernel when core_pattern is the default
// "core" (checked first; a pipe pattern belongs to someone testing), else by gcore.
const std::vector<uint8_t>& real_core() {
  static std::vector<uint8_t> core = [] {
    TempDir dir;
    const std::string pattern = trim(read_text("/proc/sys/kernel/core_pattern"));
    std::vector<uint8_t> bytes;
    if (pattern == "core") {
      dbg::test::ChildProcess crasher({"/bin/sh", "-c", "cd " + dir.path() + " && ulimit -c unlimited && exec " +
                                                          dbg::test::target_path("crasher_O2") + " null"});
      BOOST_TEST_REQUIRE(crasher.wait_for_line("ready", 20s));
      crasher.write_stdin("go\n");
      const auto status = crasher.wait(60s);
      BOOST_TEST_REQUIRE(status.has_value());
      BOOST_TEST_REQUIRE(WIFSIGNALED(*status));
      BOOST_TEST_REQUIRE(WCOREDUMP(*status));
      for (const auto& e : fs::directory_iterator(dir.path()))
        if (e.path().filename().string().rfind("core", 0) == 0) bytes = read_bytes(e.path());
      BOOST_TEST_MESSAGE("core from the kernel: " << bytes.size() << " bytes");
    } else {
      dbg::test::ChildProcess sleeper({"/bin/sleep", "1000"});
      const auto r = dbg::test::run_command(
          {"/usr/bin/gcore", "-o", dir.path() + "/core", std::to_string(sleeper.pid())});
      bytes = read_bytes(dir.path() + "/core." + std::to_string(sleeper.pid()));
      BOOST_TEST_MESSAGE("core_pattern is '" << pattern << "': core from gcore, " << bytes.size() << " bytes");
    }
    BOOST_TEST_REQUIRE(bytes.size() > 64 * 1024);
    BOOST_TEST_REQUIRE(bytes[0] == 0x7f);  // ELF
    BOOST_TEST_REQUIRE(zero_pages(bytes) > 0);  // or the sparse checks could not fail
    return bytes;
  }();
  return core;
}

// A sleeping process that plays the crasher: its cwd, root, exe and ids are what the chain reads.
class Sleeper {
 public:
  // `uid`: run as that user with group nogroup and the supplementary `groups`.
  Sleeper(const std::string& cwd, std::optional<uid_t> uid = std::nullopt, const std::vector<gid_t>& groups = {}) {
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      if (uid) {
        if (::setgroups(groups.size(), groups.data()) != 0 || ::setgid(kNogroup) != 0 || ::setuid(*uid) != 0)
          ::_exit(126);
      }
      if (::chdir(cwd.c_str()) != 0) ::_exit(125);
      ::execl("/bin/sleep", "sleep", "1000", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Ready once it is sleep (the exec happened): /proc/PID/exe then names it.
    const std::string exe = fs::canonical("/bin/sleep");
    for (int i = 0; i < 20000 && exe_path() != exe; ++i) std::this_thread::sleep_for(1ms);
    BOOST_TEST_REQUIRE(exe_path() == exe);
  }
  ~Sleeper() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  Sleeper(const Sleeper&) = delete;
  Sleeper& operator=(const Sleeper&) = delete;
  pid_t pid() const { return pid_; }
  std::string exe_path() const {
    char buf[4096];
    const ssize_t n = ::readlink(("/proc/" + std::to_string(pid_) + "/exe").c_str(), buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }

 private:
  pid_t pid_ = -1;
};

// A forked child of the test, chrooted into `jail`, pausing: a crasher whose root is not ours.
class JailedProcess {
 public:
  explicit JailedProcess(const std::string& jail) {
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      if (::chroot(jail.c_str()) != 0 || ::chdir("/") != 0) ::_exit(125);
      for (;;) ::pause();
    }
    const std::string root = "/proc/" + std::to_string(pid_) + "/root";
    for (int i = 0; i < 20000 && read_link(root) != jail; ++i) std::this_thread::sleep_for(1ms);
    BOOST_TEST_REQUIRE(read_link(root) == jail);
  }
  ~JailedProcess() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  JailedProcess(const JailedProcess&) = delete;
  JailedProcess& operator=(const JailedProcess&) = delete;
  pid_t pid() const { return pid_; }

 private:
  static std::string read_link(const std::string& path) {
    std::error_code ec;
    return fs::read_symlink(path, ec).string();
  }
  pid_t pid_ = -1;
};

CrashArgs args_for(pid_t pid, const std::string& exe, uid_t uid = 0, gid_t gid = 0) {
  CrashArgs a;
  a.crash_dir = "/nonexistent/crash";
  a.pid = a.tid = a.ns_pid = a.ns_tid = pid;
  a.signal = SIGSEGV;
  a.core_limit = UINT64_MAX;
  a.dump_mode = 1;
  a.time_s = 1700000000;
  a.uid = uid;
  a.gid = gid;
  a.hostname = "testhost";
  a.comm = "sleep";
  a.exe_bang = escape_component(exe);
  return a;
}

CrashArgs args_for(const Sleeper& s, uid_t uid = 0, gid_t gid = 0) { return args_for(s.pid(), s.exe_path(), uid, gid); }

// Writes `data` after its first `skip` bytes (the prefix the handler "already read") into a
// pipe from a thread; chain_core reads the other end.
class Feeder {
 public:
  Feeder(const std::vector<uint8_t>& data, size_t skip) {
    int fds[2];
    // The read end, which the chain gets, without O_CLOEXEC, so that leaking it would show; the
    // write end with it, so that a leak cannot also keep the pipe from reaching EOF.
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    read_fd_ = fds[0];
    const int w = fds[1];
    ::fcntl(w, F_SETFD, FD_CLOEXEC);
    thread_ = std::thread([this, &data, skip, w] {
      sigset_t s;
      sigemptyset(&s);
      sigaddset(&s, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &s, nullptr);  // a chain that stops reading gives EPIPE here
      size_t off = skip;
      while (off < data.size()) {
        const ssize_t n = ::write(w, data.data() + off, data.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        off += static_cast<size_t>(n);
      }
      all_written_ = off == data.size();
      ::close(w);
    });
  }
  ~Feeder() { finish(); }
  int read_fd() const { return read_fd_; }
  // True when the writer could hand over every byte: the chain read the pipe to its end.
  bool finish() {
    if (read_fd_ >= 0) {
      ::close(read_fd_);  // unblocks a writer the chain left behind
      read_fd_ = -1;
    }
    if (thread_.joinable()) thread_.join();
    return all_written_;
  }

 private:
  int read_fd_ = -1;
  std::thread thread_;
  std::atomic<bool> all_written_{false};
};

struct Run {
  ChainResult result;
  bool drained = false;
};

Run run_chain(const std::string& pattern, const CrashArgs& args, const std::vector<uint8_t>& core,
              size_t prefix_len = 10000, const ChainOptions& options = {}) {
  Feeder feeder(core, prefix_len);
  Run run;
  run.result = chain_core(options, pattern, args, feeder.read_fd(),
                          std::span<const uint8_t>(core.data(), std::min(prefix_len, core.size())));
  run.drained = feeder.finish();
  BOOST_TEST_MESSAGE(pattern << " -> " << run.result.kind << " / " << run.result.result);
  BOOST_TEST(run.result.core_bytes == core.size());
  BOOST_TEST(run.drained);
  return run;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

uid_t current_fsuid() { return static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))); }

}  // namespace

BOOST_AUTO_TEST_CASE(tests_run_as_root) {
  // The chain runs as root under the kernel; its identity switch and /proc reads need root here.
  BOOST_TEST_REQUIRE(::geteuid() == 0u);
}

// ---- file chain -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(file_chain_writes_a_byte_identical_sparse_core) {
  const auto& core = real_core();
  TempDir dir;
  Sleeper crasher(dir.path());
  const auto run = run_chain(dir.path() + "/core.%p.%e", args_for(crasher), core);
  BOOST_TEST(run.result.kind == "file");
  BOOST_TEST(run.result.result == "ok");
  const std::string path = dir.path() + "/core." + std::to_string(crasher.pid()) + ".sleep";
  BOOST_TEST_REQUIRE(exists(path));
  BOOST_TEST((read_bytes(path) == core));
  struct stat st {};
  ::stat(path.c_str(), &st);
  BOOST_TEST((st.st_mode & 07777) == 0600u);
  BOOST_TEST(st.st_uid == 0u);
  // No page of zeros was written: they are holes, as in the kernel's own core files.
  const uint64_t nonzero = core.size() / kPage + (core.size() % kPage ? 1 : 0) - zero_pages(core);
  BOOST_TEST(data_bytes(path) <= nonzero * kPage);
  BOOST_TEST(data_bytes(path) < static_cast<uint64_t>(st.st_size));
}

BOOST_AUTO_TEST_CASE(file_chain_cuts_at_rlimit_core_and_holes_do_not_count) {
  const auto& core = real_core();
  TempDir dir;
  Sleeper crasher(dir.path());
  CrashArgs args = args_for(crasher);
  args.core_limit = 64 * 1024 + 1000;
  // Where the kernel's accounting stops: written bytes reach the limit, zero pages are free.
  uint64_t counted = 0, cut = 0;
  for (size_t off = 0; off < core.size() && counted < args.core_limit; off += kPage) {
    const size_t len = std::min(kPage, core.size() - off);
    if (all_zero(core.data() + off, len)) {
      cut = off + len;
      continue;
    }
    const uint64_t take = std::min<uint64_t>(len, args.core_limit - counted);
    counted += take;
    cut = off + take;
  }
  BOOST_TEST_REQUIRE(counted == args.core_limit);  // the core has more data than the limit
  BOOST_TEST_REQUIRE(cut < core.size());
  const auto run = run_chain(dir.path() + "/core", args, core, 5000);
  BOOST_TEST(run.result.result.rfind("ok: cut at RLIMIT_CORE 66536", 0) == 0u);
  const auto written = read_bytes(dir.path() + "/core");
  BOOST_TEST(written.size() == cut);
  BOOST_TEST((written == std::vector<uint8_t>(core.begin(), core.begin() + static_cast<long>(written.size()))));
  BOOST_TEST(data_bytes(dir.path() + "/core") <= (args.core_limit / kPage + 2) * kPage);
}

BOOST_AUTO_TEST_CASE(file_chain_writes_nothing_below_a_page_of_rlimit_core) {
  const auto& core = real_core();
  TempDir dir;
  Sleeper crasher(dir.path());
  CrashArgs args = args_for(crasher);
  args.core_limit = 0;
  BOOST_TEST(run_chain(dir.path() + "/core", args, core).result.result == "skipped: RLIMIT_CORE 0");
  BOOST_TEST(!exists(dir.path() + "/core"));
  args.core_limit = kPage - 1;
  BOOST_TEST(run_chain(dir.path() + "/core", args, core).result.result.rfind("skipped: RLIMIT_CORE 4095", 0) == 0u);
  BOOST_TEST(!exists(dir.path() + "/core"));
  args.core_limit = kPage;  // exactly the kernel's minimum: a core, cut
  BOOST_TEST(run_chain(dir.path() + "/core", args, core).result.result.rfind("ok: cut", 0) == 0u);
  BOOST_TEST(exists(dir.path() + "/core"));
}

BOOST_AUTO_TEST_CASE(file_chain_applies_core_uses_pid) {
  const auto& core = real_core();
  TempDir dir;
  Sleeper crasher(dir.path());
  const std::string pid = std::to_string(crasher.pid());
  ChainOptions on;
  on.core_uses_pid = true;
  run_chain(dir.path() + "/a", args_for(crasher), core, 10000, on);
  BOOST_TEST(exists(dir.path() + "/a." + pid));
  BOOST_TEST(!exists(dir.path() + "/a"));
  run_chain(dir.path() + "/b.%p", args_for(crasher), core, 10000, on);
  BOOST_TEST(exists(dir.path() + "/b." + pid));
  BOOST_TEST(!exists(dir.path() + "/b." + pid + "." + pid));
  // By default the host's sysctl decides (read, never changed here).
  const bool host = trim(read_text("/proc/sys/kernel/core_uses_pid")) != "0";
  run_chain(dir.path() + "/c", args_for(crasher), core);
  BOOST_TEST(exists(dir.path() + (host ? "/c." + pid : "/c")));
}

BOOST_AUTO_TEST_CASE(file_chain_resolves_a_relative_pattern_from_the_crashers_cwd) {
  const auto& core = real_core();
  TempDir dir;
  const std::string cwd = dir.sub("cwd");
  dir.sub("cwd/sub");
  Sleeper crasher(cwd);
  BOOST_TEST_REQUIRE(fs::current_path().string() != cwd);
  BOOST_TEST(run_chain("core.%p", args_for(crasher), core).result.result == "ok");
  const std::string name = "core." + std::to_string(crasher.pid());
  BOOST_TEST((read_bytes(cwd + "/" + name) == core));
  BOOST_TEST(!exists(fs::current_path() / name));
  BOOST_TEST(run_chain("sub/core", args_for(crasher), core).result.result == "ok");
  BOOST_TEST((read_bytes(cwd + "/sub/core") == core));
}

BOOST_AUTO_TEST_CASE(file_chain_resolves_an_absolute_pattern_in_the_crashers_root) {
  // As the kernel, which opens the core from the crasher's own context: "/cores/core" of a
  // chrooted crasher is in its jail, and an absolute symlink it planted there stays inside too.
  const auto& core = real_core();
  TempDir dir;
  const std::string jail = dir.sub("jail");
  dir.sub("jail/cores");
  dir.sub("jail/elsewhere");
  dir.sub("elsewhere");
  BOOST_TEST_REQUIRE(::symlink("/elsewhere", (jail + "/link").c_str()) == 0);
  JailedProcess crasher(jail);
  const CrashArgs args = args_for(crasher.pid(), "/usr/bin/sleep");
  BOOST_TEST(run_chain("/cores/core", args, core).result.result == "ok");
  BOOST_TEST((read_bytes(jail + "/cores/core") == core));
  BOOST_TEST(run_chain("/link/core", args, core).result.result == "ok");
  BOOST_TEST(exists(jail + "/elsewhere/core"));
  BOOST_TEST(!exists(dir.path() + "/elsewhere/core"));
  BOOST_TEST(run_chain("/../../cores/core2", args, core).result.result == "ok");
  BOOST_TEST(exists(jail + "/cores/core2"));
}

BOOST_AUTO_TEST_CASE(file_chain_replaces_a_planted_symlink_and_never_writes_its_target) {
  const auto& core = real_core();
  TempDir dir;
  const std::string victim = dir.path() + "/victim";
  write_text(victim, "precious\n");
  Sleeper crasher(dir.path());
  const std::string path = dir.path() + "/core." + std::to_string(crasher.pid());
  BOOST_TEST_REQUIRE(::symlink(victim.c_str(), path.c_str()) == 0);
  BOOST_TEST(run_chain(dir.path() + "/core.%p", args_for(crasher), core).result.result == "ok");
  BOOST_TEST(read_text(victim) == "precious\n");
  struct stat st {};
  BOOST_TEST_REQUIRE(::lstat(path.c_str(), &st) == 0);
  BOOST_TEST(S_ISREG(st.st_mode));
  BOOST_TEST((read_bytes(path) == core));
}

BOOST_AUTO_TEST_CASE(file_chain_refuses_a_symlink_the_crasher_cannot_remove) {
  // In a sticky world-writable directory nobody cannot unlink root's symlink: the exclusive,
  // no-follow create then fails instead of writing through it.
  const auto& core = real_core();
  TempDir dir;
  const std::string open_dir = dir.sub("open", 01777);
  const std::string victim = dir.path() + "/victim";
  write_text(victim, "precious\n", 0666);
  BOOST_TEST_REQUIRE(::symlink(victim.c_str(), (open_dir + "/core").c_str()) == 0);
  Sleeper crasher(open_dir, kNobody);
  const auto run = run_chain(open_dir + "/core", args_for(crasher, kNobody, kNogroup), core);
  BOOST_TEST(run.result.result == "failed: open " + open_dir + "/core: File exists");
  BOOST_TEST(read_text(victim) == "precious\n");
  BOOST_TEST(current_fsuid() == 0u);
}

BOOST_AUTO_TEST_CASE(file_chain_creates_as_the_crasher) {
  const auto& core = real_core();
  TempDir dir;
  const std::string root_only = dir.sub("root_only", 0700);
  const std::string open_dir = dir.sub("open", 01777);
  Sleeper crasher(open_dir, kNobody);
  const CrashArgs args = args_for(crasher, kNobody, kNogroup);

  const auto refused = run_chain(root_only + "/core", args, core);
  BOOST_TEST(refused.result.result == "failed: open " + root_only + "/core: Permission denied");
  BOOST_TEST(!exists(root_only + "/core"));
  // The identity was this thread's for the open only.
  BOOST_TEST(current_fsuid() == 0u);
  BOOST_TEST(static_cast<gid_t>(::setfsgid(static_cast<gid_t>(-1))) == 0u);

  BOOST_TEST(run_chain(open_dir + "/core", args, core).result.result == "ok");
  struct stat st {};
  BOOST_TEST_REQUIRE(::stat((open_dir + "/core").c_str(), &st) == 0);
  BOOST_TEST(st.st_uid == kNobody);
  BOOST_TEST(st.st_gid == kNogroup);
  BOOST_TEST((st.st_mode & 07777) == 0600u);
  BOOST_TEST((read_bytes(open_dir + "/core") == core));
  // Relative to nobody's cwd, the same.
  BOOST_TEST(run_chain("core.rel", args, core).result.result == "ok");
  BOOST_TEST(exists(open_dir + "/core.rel"));
}

BOOST_AUTO_TEST_CASE(file_chain_uses_the_crashers_groups_not_ours) {
  // With supplementary group 0 here (set for this test), a chain that kept our groups would
  // open a root-group directory to a crasher that is not in that group.
  struct OurGroups {
    std::vector<gid_t> saved;
    OurGroups() {
      saved.resize(static_cast<size_t>(std::max(0, ::getgroups(0, nullptr))));
      ::getgroups(static_cast<int>(saved.size()), saved.data());
      const gid_t root_group[1] = {0};
      BOOST_TEST_REQUIRE(::setgroups(1, root_group) == 0);
    }
    ~OurGroups() { ::setgroups(saved.size(), saved.data()); }
  } our_groups;
  const auto& core = real_core();
  TempDir dir;
  const std::string root_group = dir.sub("root_group", 0770);
  const std::string users_group = dir.sub("users_group", 0770);
  constexpr gid_t kUsers = 100;
  BOOST_TEST_REQUIRE(::chown(users_group.c_str(), 0, kUsers) == 0);

  Sleeper outsider(dir.path(), kNobody);
  BOOST_TEST(run_chain(root_group + "/core", args_for(outsider, kNobody, kNogroup), core).result.result ==
             "failed: open " + root_group + "/core: Permission denied");
  BOOST_TEST(!exists(root_group + "/core"));
  gid_t after[4] = {};
  BOOST_TEST(::getgroups(4, after) == 1);  // ours are back
  BOOST_TEST(after[0] == 0u);

  Sleeper member(dir.path(), kNobody, {kUsers});
  BOOST_TEST(run_chain(users_group + "/core", args_for(member, kNobody, kNogroup), core).result.result == "ok");
  BOOST_TEST(exists(users_group + "/core"));
  BOOST_TEST(run_chain(root_group + "/core", args_for(member, kNobody, kNogroup), core).result.result ==
             "failed: open " + root_group + "/core: Permission denied");
}

BOOST_AUTO_TEST_CASE(file_chain_follows_the_dump_mode) {
  const auto& core = real_core();
  TempDir dir;
  const std::string root_only = dir.sub("root_only", 0700);
  Sleeper crasher(dir.path(), kNobody);
  CrashArgs args = args_for(crasher, kNobody, kNogroup);
  args.dump_mode = 0;
  BOOST_TEST(run_chain(root_only + "/core", args, core).result.result == "skipped: not dumpable");
  BOOST_TEST(!exists(root_only + "/core"));
  // suid_safe: absolute patterns only, created as root, nothing unlinked first.
  args.dump_mode = 2;
  BOOST_TEST(run_chain("core", args, core).result.result.rfind("skipped: dump mode 2", 0) == 0u);
  BOOST_TEST(!exists(dir.path() + "/core"));
  BOOST_TEST(run_chain(root_only + "/core", args, core).result.result == "ok");
  struct stat st {};
  BOOST_TEST_REQUIRE(::stat((root_only + "/core").c_str(), &st) == 0);
  BOOST_TEST(st.st_uid == 0u);
  BOOST_TEST((read_bytes(root_only + "/core") == core));
  BOOST_TEST(run_chain(root_only + "/core", args, core).result.result ==
             "failed: open " + root_only + "/core: File exists");
}

// ---- pipe chain -------------------------------------------------------------------------------

namespace {

// A helper script that records what the kernel's helper would see, then copies its stdin. The
// shell's own signal state is read with builtins only (dash blocks every signal around its
// vfork of a command, which an external reader would catch); the descriptors are those of a
// command it starts, `ls /proc/self/fd`: what the helper had, less the shell's own
// close-on-exec ones, plus its redirected stdout and the directory ls reads.
std::string write_recorder(const TempDir& dir, const std::string& tail = "/bin/cat > \"$out/core.out\"") {
  const std::string script = dir.path() + "/handler.sh";
  write_text(script,
             "#!/bin/sh\n"
             "out=" + dir.path() + "\n"
             "while IFS= read -r l; do case \"$l\" in SigBlk*|SigIgn*) echo \"$l\";; esac; done"
             " < /proc/$$/status > \"$out/signals\"\n"
             "/bin/ls -l /proc/self/fd > \"$out/fds\"\n"
             "echo \"$0\" > \"$out/argv0\"\n"
             "printf '[%s]\\n' \"$@\" > \"$out/args\"\n"
             "/usr/bin/tr '\\0' '\\n' < /proc/$$/environ > \"$out/env\"\n"
             "/bin/cat /proc/$$/fdinfo/3 > \"$out/fd3\" 2>/dev/null\n"
             "umask > \"$out/umask\"\n"
             "/usr/bin/readlink /proc/$$/cwd > \"$out/cwd\"\n"
             "/bin/grep 'core file' /proc/$$/limits > \"$out/limits\"\n" +
                 tail + "\n",
             0755);
  return script;
}

// The descriptors a recorder's `ls /proc/self/fd` may show besides 0 and 3: its stdout (the
// listing file), stderr, and the directory it lists.
bool expected_ls_fd(int fd, const std::string& target, const TempDir& dir) {
  if (fd == 1) return target == dir.path() + "/fds";
  if (fd == 2) return target == "/dev/null";
  return target.rfind("/proc/", 0) == 0 && target.size() > 3 && target.compare(target.size() - 3, 3, "/fd") == 0;
}

// fd number -> link target, from `ls -l /proc/PID/fd`.
std::vector<std::pair<int, std::string>> parse_fds(const std::string& listing) {
  std::vector<std::pair<int, std::string>> out;
  std::istringstream in(listing);
  std::string line;
  while (std::getline(in, line)) {
    const size_t arrow = line.find(" -> ");
    if (arrow == std::string::npos) continue;
    const size_t num = line.rfind(' ', arrow - 1);
    out.emplace_back(std::stoi(line.substr(num + 1, arrow - num - 1)), line.substr(arrow + 4));
  }
  return out;
}

std::string last_cpu_of(pid_t pid) {
  const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  std::istringstream fields(stat.substr(stat.rfind(')') + 1));
  std::string f;
  for (int i = 3; fields >> f; ++i)
    if (i == 39) return f;
  return "";
}

std::string pipe_inode(int fd) {
  struct stat st {};
  ::fstat(fd, &st);
  return "pipe:[" + std::to_string(st.st_ino) + "]";
}

// The pid in "(pid N)" of a result that left a helper running.
pid_t pid_in(const std::string& result) {
  const size_t at = result.find("(pid ");
  return at == std::string::npos ? -1 : std::stoi(result.substr(at + 5));
}

// Lets a helper blocked in `read x < fifo` finish, and reaps it.
int release_and_reap(const std::string& fifo, pid_t pid) {
  const int fd = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t ignored = ::write(fd, "x\n", 2);
    (void)ignored;
    ::close(fd);
  }
  int status = -1;
  ::waitpid(pid, &status, 0);
  return status;
}

// Pseudo-random bytes, far more than a pipe holds: a helper that stops early sees EPIPE.
std::vector<uint8_t> big_stream() {
  std::vector<uint8_t> data(8 << 20);
  std::mt19937_64 rng(42);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  return data;
}

}  // namespace

BOOST_AUTO_TEST_CASE(pipe_chain_runs_the_helper_as_the_kernel_does) {
  const auto& core = real_core();
  TempDir dir;
  const std::string script = write_recorder(dir);
  Sleeper crasher(dir.path());
  const CrashArgs args = args_for(crasher, 0, 0);

  // State of ours that must not reach the helper: a descriptor without O_CLOEXEC, an ignored
  // signal, a blocked signal.
  const int leaked = ::open("/dev/zero", O_RDONLY);
  BOOST_TEST_REQUIRE(leaked >= 0);
  struct sigaction ign {}, old_usr1 {};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGUSR1, &ign, &old_usr1);
  sigset_t usr2, old_mask;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &usr2, &old_mask);

  const std::string pattern = "|" + script + " %P %p %i %I %s %c %d %t %u %g %h %e %E %f %C %F 100%% a%qb %z x%";
  Feeder feeder(core, 10000);
  const std::string in_pipe = pipe_inode(feeder.read_fd());
  const auto result = chain_core(pattern, args, feeder.read_fd(), std::span<const uint8_t>(core.data(), 10000));
  BOOST_TEST(feeder.finish());
  ::close(leaked);
  ::sigaction(SIGUSR1, &old_usr1, nullptr);
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);

  BOOST_TEST(result.kind == "pipe");
  BOOST_TEST(result.result == "ok");
  BOOST_TEST(result.core_bytes == core.size());
  BOOST_TEST((read_bytes(dir.path() + "/core.out") == core));

  const std::string pid = std::to_string(crasher.pid());
  BOOST_TEST(trim(read_text(dir.path() + "/argv0")) == script);
  BOOST_TEST(read_text(dir.path() + "/args") ==
             "[" + pid + "]\n[" + pid + "]\n[" + pid + "]\n[" + pid + "]\n[11]\n[18446744073709551615]\n[1]\n"
             "[1700000000]\n[0]\n[0]\n[testhost]\n[sleep]\n[" + args.exe_bang + "]\n[sleep]\n[" +
                 last_cpu_of(crasher.pid()) + "]\n[3]\n[100%]\n[ab]\n[]\n[x]\n");
  BOOST_TEST(read_text(dir.path() + "/env") == "");  // the kernel passes no environment
  BOOST_TEST(trim(read_text(dir.path() + "/umask")) == "0022");
  BOOST_TEST(trim(read_text(dir.path() + "/cwd")) == "/");
  BOOST_TEST(read_text(dir.path() + "/signals") == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
  // RLIMIT_CORE {1, 1}: "Max core file size  1  1  bytes".
  std::istringstream limits(read_text(dir.path() + "/limits").substr(std::string("Max core file size").size()));
  std::string soft, hard;
  limits >> soft >> hard;
  BOOST_TEST(soft == "1");
  BOOST_TEST(hard == "1");
  // The pidfd names the crasher.
  BOOST_TEST(read_text(dir.path() + "/fd3").find("Pid:\t" + pid + "\n") != std::string::npos);

  const auto fds = parse_fds(read_text(dir.path() + "/fds"));
  BOOST_TEST_REQUIRE(fds.size() >= 4u);
  bool pidfd_seen = false;
  for (const auto& [fd, target] : fds) {
    BOOST_TEST_CONTEXT("fd " << fd << " -> " << target) {
      if (fd == 0) {
        BOOST_TEST(target.rfind("pipe:[", 0) == 0u);
        BOOST_TEST(target != in_pipe);
      } else if (fd == 3) {
        pidfd_seen = true;
        BOOST_TEST(target == "anon_inode:[pidfd]");
      } else {
        BOOST_TEST(expected_ls_fd(fd, target, dir));
      }
    }
  }
  BOOST_TEST(pidfd_seen);
}

BOOST_AUTO_TEST_CASE(pipe_chain_passes_no_pidfd_without_the_specifier) {
  const auto& core = real_core();
  TempDir dir;
  const std::string script = write_recorder(dir);
  Sleeper crasher(dir.path());
  BOOST_TEST(run_chain("|" + script + " %p", args_for(crasher), core).result.result == "ok");
  for (const auto& [fd, target] : parse_fds(read_text(dir.path() + "/fds")))
    BOOST_TEST((fd == 0 || expected_ls_fd(fd, target, dir)), "fd " << fd << " -> " << target);
  BOOST_TEST((read_bytes(dir.path() + "/core.out") == core));
}

BOOST_AUTO_TEST_CASE(pipe_chain_keeps_draining_after_the_helper_closes_its_stdin) {
  const auto data = big_stream();
  TempDir dir;
  const std::string script = dir.path() + "/early.sh";
  write_text(script, "#!/bin/sh\n/usr/bin/head -c 100 > " + dir.path() + "/part\nexit 0\n", 0755);
  Sleeper crasher(dir.path());
  const auto run = run_chain("|" + script, args_for(crasher), data);
  BOOST_TEST(run.result.result.rfind("ok: " + script + " closed its stdin after ", 0) == 0u);
  BOOST_TEST(run.result.result.find(" of " + std::to_string(data.size()) + " bytes") != std::string::npos);
  BOOST_TEST((read_bytes(dir.path() + "/part") == std::vector<uint8_t>(data.begin(), data.begin() + 100)));
  // The EPIPE's SIGPIPE was neither delivered (this process would be dead) nor left pending.
  sigset_t pending;
  sigpending(&pending);
  BOOST_TEST(!sigismember(&pending, SIGPIPE));
}

BOOST_AUTO_TEST_CASE(pipe_chain_reports_a_failing_helper) {
  const auto& core = real_core();
  TempDir dir;
  const std::string script = dir.path() + "/fails.sh";
  write_text(script, "#!/bin/sh\n/bin/cat > /dev/null\nexit 3\n", 0755);
  Sleeper crasher(dir.path());
  BOOST_TEST(run_chain("|" + script, args_for(crasher), core).result.result ==
             "failed: " + script + " exited with status 3");
  BOOST_TEST(run_chain("|" + dir.path() + "/missing %p", args_for(crasher), core).result.result ==
             "failed: exec " + dir.path() + "/missing: No such file or directory");
}

BOOST_AUTO_TEST_CASE(pipe_chain_leaves_a_helper_that_outlives_the_wait_running) {
  const auto& core = real_core();
  TempDir dir;
  const std::string fifo = dir.path() + "/fifo";
  BOOST_TEST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const std::string script = dir.path() + "/slow.sh";
  write_text(script, "#!/bin/sh\n/bin/cat > /dev/null\nread x < " + fifo + "\nexit 0\n", 0755);
  Sleeper crasher(dir.path());
  ChainOptions options;
  options.wait_for_exit = 200ms;
  const auto run = run_chain("|" + script, args_for(crasher), core, 10000, options);
  BOOST_TEST(run.result.result.rfind("ok: " + script + " still running 0.2 s after the end of the core", 0) == 0u);
  const pid_t helper = pid_in(run.result.result);
  BOOST_TEST_REQUIRE(helper > 0);
  BOOST_TEST(::kill(helper, 0) == 0);  // not killed
  const int status = release_and_reap(fifo, helper);
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);
}

BOOST_AUTO_TEST_CASE(pipe_chain_gives_up_on_a_helper_that_stops_reading) {
  const auto data = big_stream();
  TempDir dir;
  const std::string fifo = dir.path() + "/fifo";
  BOOST_TEST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const std::string script = dir.path() + "/stuck.sh";
  write_text(script, "#!/bin/sh\nread x < " + fifo + "\nexit 0\n", 0755);
  Sleeper crasher(dir.path());
  ChainOptions options;
  options.stall_limit = 200ms;
  options.wait_for_exit = 100ms;
  const auto run = run_chain("|" + script, args_for(crasher), data, 10000, options);
  BOOST_TEST(run.result.result.rfind("failed: " + script + " took nothing for 0.2 s after ", 0) == 0u);
  const pid_t helper = pid_in(run.result.result);
  BOOST_TEST_REQUIRE(helper > 0);
  release_and_reap(fifo, helper);
}

// ---- nothing to chain to ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(nothing_is_chained_to_an_empty_pattern_our_own_handler_or_a_socket) {
  const auto& core = real_core();
  TempDir dir;
  Sleeper crasher(dir.path());
  const auto none = run_chain("", args_for(crasher), core);
  BOOST_TEST(none.result.kind == "none");
  BOOST_TEST(none.result.result == "ok");
  const auto own = run_chain("|/usr/lib/dbgcoord/dbg-worker core /var/lib/dbgcoord/crash %P %i %I %s %c %d %t %u %g %p %h %e %E",
                             args_for(crasher), core);
  BOOST_TEST(own.result.kind == "none");
  BOOST_TEST(own.result.result.rfind("skipped: the previous core_pattern is this handler", 0) == 0u);
  const auto socket = run_chain("@/run/systemd/coredump.socket", args_for(crasher), core, 0);
  BOOST_TEST(socket.result.kind == "none");
  BOOST_TEST(socket.result.result.rfind("skipped: the previous core_pattern is a coredump socket", 0) == 0u);
}
