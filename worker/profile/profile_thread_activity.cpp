#include "worker/profile/profile_thread_activity.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "dbg/proc_stat.hpp"

namespace dbg::worker {

namespace {

std::string task_path(pid_t pid, pid_t tid, const char* file) {
  return "/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/" + file;
}

// pread at 0: /proc regenerates the text for each read at offset 0.
ssize_t read_at_start(const UniqueFd& fd, char* buf, size_t size) {
  return fd.valid() ? ::pread(fd.get(), buf, size - 1, 0) : -1;
}

const uint64_t kNsPerTick = 1'000'000'000ull / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));

}  // namespace

std::optional<ThreadActivity> ThreadActivityReader::read(pid_t tid) {
  auto it = files_.find(tid);
  if (it == files_.end()) {
    Files f{UniqueFd(::open(task_path(pid_, tid, "stat").c_str(), O_RDONLY | O_CLOEXEC)),
            UniqueFd(::open(task_path(pid_, tid, "schedstat").c_str(), O_RDONLY | O_CLOEXEC)),
            UniqueFd(::open(task_path(pid_, tid, "syscall").c_str(), O_RDONLY | O_CLOEXEC))};
    if (!f.stat.valid()) return std::nullopt;
    it = files_.emplace(tid, std::move(f)).first;
  }
  char buf[1024];
  ssize_t n = read_at_start(it->second.stat, buf, sizeof buf);
  if (n <= 0) {
    files_.erase(it);  // ESRCH: the thread exited since we opened its file
    return std::nullopt;
  }
  auto stat = procfs::parse_stat(std::string_view(buf, static_cast<size_t>(n)));
  if (!stat) return std::nullopt;
  ThreadActivity a;
  a.state = stat->state;
  a.cpu_ticks = stat->utime + stat->stime;
  a.cpu_ns = a.cpu_ticks * kNsPerTick;
  ssize_t m = read_at_start(it->second.schedstat, buf, sizeof buf);
  if (m > 0) {
    buf[m] = '\0';
    char* end = nullptr;
    unsigned long long ns = std::strtoull(buf, &end, 10);
    if (end != buf) a.cpu_ns = ns;
  }
  if (a.state != 'R') {
    ssize_t k = read_at_start(it->second.syscall, buf, sizeof buf);
    if (k > 0 && std::string_view(buf, static_cast<size_t>(k)).substr(0, 7) != "running") a.syscall.assign(buf, static_cast<size_t>(k));
  }
  return a;
}

void ThreadActivityReader::retain(const std::vector<pid_t>& live) {
  for (auto it = files_.begin(); it != files_.end();) {
    if (std::binary_search(live.begin(), live.end(), it->first)) {
      ++it;
    } else {
      it = files_.erase(it);
    }
  }
}

std::vector<pid_t> list_tids(pid_t pid) {
  std::vector<pid_t> out;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(("/proc/" + std::to_string(pid) + "/task").c_str()), &::closedir);
  if (!dir) return out;
  while (dirent* e = ::readdir(dir.get())) {
    char* end = nullptr;
    long tid = std::strtol(e->d_name, &end, 10);
    if (end != e->d_name && *end == '\0' && tid > 0) out.push_back(static_cast<pid_t>(tid));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string thread_name(pid_t pid, pid_t tid) {
  UniqueFd fd(::open(task_path(pid, tid, "comm").c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return {};
  char buf[64];
  ssize_t n = ::read(fd.get(), buf, sizeof buf);
  std::string name = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  while (!name.empty() && name.back() == '\n') name.pop_back();
  return name;
}

}  // namespace dbg::worker
