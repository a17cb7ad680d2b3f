#include "coordinator/procfs/proc_reader.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include "dbg/proc_stat.hpp"
#include "dbg/unique_fd.hpp"

namespace dbg::coord::procfs {

using dbg::procfs::cmdline_from_raw;
using dbg::procfs::kPfKthread;
using dbg::procfs::parse_stat;
using dbg::procfs::parse_status;

namespace {

// The files of /proc report size 0, so they are read until EOF, up to `limit` bytes. nullopt
// when the file cannot be opened or read: for a live /proc that means the process is gone (or
// hidden from us), which callers treat alike.
std::optional<std::string> read_file(const std::string& path, std::size_t limit = 64 * 1024) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
  std::string out;
  char buf[4096];
  while (out.size() < limit) {
    ssize_t n = ::read(fd.get(), buf, std::min(sizeof buf, limit - out.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

std::uint64_t page_size() {
  static const std::uint64_t size = [] {
    long s = ::sysconf(_SC_PAGESIZE);
    return s > 0 ? static_cast<std::uint64_t>(s) : 4096u;
  }();
  return size;
}

std::optional<int> parse_pid_name(const char* name) {
  std::string_view s(name);
  if (s.empty() || s.front() == '0') return std::nullopt;
  int pid = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), pid);
  if (ec != std::errc() || ptr != s.data() + s.size() || pid <= 0) return std::nullopt;
  return pid;
}

}  // namespace

namespace {

// comm and cmdline come first: they are all a {"match": …} filter needs, so a process it does
// not keep costs two small reads instead of four.
std::optional<ProcessSample> read_process_if(int pid, const std::string& proc_root, const ProcessFilter* keep) {
  if (pid <= 0) return std::nullopt;
  const std::string dir = proc_root + "/" + std::to_string(pid) + "/";

  ProcessSample s;
  s.pid = pid;
  auto comm = read_file(dir + "comm", 256);
  if (comm) {
    if (!comm->empty() && comm->back() == '\n') comm->pop_back();
    s.comm = std::move(*comm);
  }
  if (auto raw = read_file(dir + "cmdline", kMaxCmdlineBytes)) s.cmdline = cmdline_from_raw(*raw);
  if (keep && (!comm || !(*keep)(s))) return std::nullopt;

  auto stat_text = read_file(dir + "stat");
  if (!stat_text) return std::nullopt;
  auto stat = parse_stat(*stat_text);
  if (!stat || stat->pid != pid) return std::nullopt;
  s.ppid = stat->ppid;
  s.state = stat->state;
  s.utime_ticks = stat->utime;
  s.stime_ticks = stat->stime;
  s.start_time_ticks = stat->start_time;
  s.rss_bytes = stat->rss_pages * page_size();
  s.threads = stat->threads;
  // comm and stat's comm are the same 16-byte task name; the comm file is preferred because it
  // needs no parenthesis guessing, stat's is the fallback if the comm read lost a race.
  if (!comm) s.comm = stat->comm;

  // status is read last: if it is still there, the process lived through the whole read.
  auto status_text = read_file(dir + "status");
  if (!status_text) return std::nullopt;
  auto status = parse_status(*status_text);
  if (!status.real_uid) return std::nullopt;
  if (status.tgid && *status.tgid != pid) return std::nullopt;  // a thread id, not a process
  s.uid = static_cast<uid_t>(*status.real_uid);

  // PF_KTHREAD is authoritative. pid 2 (kthreadd) and its children are kernel threads only in
  // the initial pid namespace; inside a container pid 2 is an ordinary process, so the parent
  // rule also needs the empty command line every kernel thread has.
  s.kernel_thread = (stat->flags & kPfKthread) != 0 || ((pid == 2 || s.ppid == 2) && s.cmdline.empty());
  return s;
}

template <typename EachPid>
void for_each_pid(const std::string& proc_root, EachPid&& each) {
  DIR* dir = ::opendir(proc_root.c_str());
  if (dir == nullptr) return;
  while (const dirent* entry = ::readdir(dir)) {
    if (auto pid = parse_pid_name(entry->d_name)) each(*pid);
  }
  ::closedir(dir);
}

void sort_by_pid(std::vector<ProcessSample>& samples) {
  std::sort(samples.begin(), samples.end(), [](const ProcessSample& a, const ProcessSample& b) { return a.pid < b.pid; });
}

}  // namespace

std::optional<ProcessSample> read_process(int pid, const std::string& proc_root) {
  return read_process_if(pid, proc_root, nullptr);
}

std::vector<ProcessSample> read_processes_where(const ProcessFilter& keep, const std::string& proc_root) {
  std::vector<ProcessSample> out;
  for_each_pid(proc_root, [&](int pid) {
    if (auto sample = read_process_if(pid, proc_root, &keep)) out.push_back(std::move(*sample));
  });
  sort_by_pid(out);
  return out;
}

std::vector<ProcessSample> read_processes(const std::vector<int>& pids, const std::string& proc_root) {
  std::vector<ProcessSample> out;
  for (int pid : pids) {
    if (auto sample = read_process(pid, proc_root)) out.push_back(std::move(*sample));
  }
  sort_by_pid(out);
  out.erase(std::unique(out.begin(), out.end(), [](const ProcessSample& a, const ProcessSample& b) { return a.pid == b.pid; }),
            out.end());
  return out;
}

std::vector<ProcessSample> read_all_processes(const std::string& proc_root) {
  std::vector<ProcessSample> out;
  for_each_pid(proc_root, [&](int pid) {
    if (auto sample = read_process(pid, proc_root)) out.push_back(std::move(*sample));
  });
  sort_by_pid(out);
  return out;
}

}  // namespace dbg::coord::procfs
