#include "coordinator/procfs/proc_reader.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <iterator>
#include <thread>

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

std::vector<int> list_pids(const std::string& proc_root) {
  std::vector<int> pids;
  for_each_pid(proc_root, [&](int pid) { pids.push_back(pid); });
  return pids;
}

// Reads the samples of `pids` (those `keep` keeps, when given) on up to 4 threads. Why: a host
// has hundreds of processes, and each costs the kernel a few file reads (cmdline walks the
// target's page tables): ~6 ms of CPU on a 250-process host, on the way of every session
// before its first batch. Split over the cores, that wait shrinks by their number. Below
// kMinPidsPerThread per thread, a thread costs more than it saves.
std::vector<ProcessSample> read_pids(const std::vector<int>& pids, const std::string& proc_root, const ProcessFilter* keep) {
  constexpr std::size_t kMinPidsPerThread = 48;
  std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
  std::size_t parts = std::clamp<std::size_t>(pids.size() / kMinPidsPerThread, 1, std::min<std::size_t>(cores, 4));
  std::vector<std::vector<ProcessSample>> found(parts);
  auto read_part = [&](std::size_t part) {
    for (std::size_t i = part; i < pids.size(); i += parts) {  // interleaved: busy pids spread evenly
      if (auto sample = read_process_if(pids[i], proc_root, keep)) found[part].push_back(std::move(*sample));
    }
  };
  {
    std::vector<std::jthread> helpers;
    for (std::size_t part = 1; part < parts; ++part) helpers.emplace_back(read_part, part);
    read_part(0);
  }  // joined
  std::vector<ProcessSample> out;
  for (auto& part : found) std::move(part.begin(), part.end(), std::back_inserter(out));
  return out;
}

void sort_by_pid(std::vector<ProcessSample>& samples) {
  std::sort(samples.begin(), samples.end(), [](const ProcessSample& a, const ProcessSample& b) { return a.pid < b.pid; });
}

}  // namespace

std::optional<ProcessSample> read_process(int pid, const std::string& proc_root) {
  return read_process_if(pid, proc_root, nullptr);
}

std::vector<ProcessSample> read_processes_where(const ProcessFilter& keep, const std::string& proc_root) {
  std::vector<ProcessSample> out = read_pids(list_pids(proc_root), proc_root, &keep);
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

std::vector<int> list_process_ids(const std::string& proc_root) { return list_pids(proc_root); }

bool refresh_from_stat(ProcessSample& sample, const std::string& proc_root) {
  auto text = read_file(proc_root + "/" + std::to_string(sample.pid) + "/stat");
  if (!text) return false;
  auto stat = parse_stat(*text);
  if (!stat || stat->pid != sample.pid || stat->start_time != sample.start_time_ticks) return false;
  sample.ppid = stat->ppid;
  sample.state = stat->state;
  sample.utime_ticks = stat->utime;
  sample.stime_ticks = stat->stime;
  sample.rss_bytes = stat->rss_pages * page_size();
  sample.threads = stat->threads;
  if (!stat->comm.empty()) sample.comm = std::move(stat->comm);
  return true;
}

std::optional<std::uint64_t> read_start_time(int pid, const std::string& proc_root) {
  if (pid <= 0) return std::nullopt;
  auto text = read_file(proc_root + "/" + std::to_string(pid) + "/stat");
  if (!text) return std::nullopt;
  auto stat = parse_stat(*text);
  if (!stat || stat->pid != pid) return std::nullopt;
  return stat->start_time;
}

std::vector<ProcessSample> read_all_processes(const std::string& proc_root) {
  std::vector<ProcessSample> out = read_pids(list_pids(proc_root), proc_root, nullptr);
  sort_by_pid(out);
  return out;
}

}  // namespace dbg::coord::procfs
