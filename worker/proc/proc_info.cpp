#include "worker/proc/proc_info.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "dbg/proc_stat.hpp"
#include "dbg/unique_fd.hpp"

namespace dbg::worker {

namespace {

// Small /proc files are read with one read(): they are generated atomically per read call.
std::string read_small_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return {};
  char buf[4096];
  ssize_t n = ::read(fd.get(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

std::string trim_newline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

std::optional<procfs::StatFields> read_stat(const std::string& path) { return procfs::parse_stat(read_small_file(path)); }

}  // namespace

bool process_exists(pid_t pid) { return ::access(("/proc/" + std::to_string(pid) + "/stat").c_str(), F_OK) == 0; }

std::string process_comm(pid_t pid) { return trim_newline(read_small_file("/proc/" + std::to_string(pid) + "/comm")); }

std::optional<procfs::StatFields> process_stat(pid_t pid) { return read_stat("/proc/" + std::to_string(pid) + "/stat"); }

std::optional<uint64_t> process_start_time(pid_t pid) {
  auto stat = read_stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return std::nullopt;
  return stat->start_time;
}

std::vector<ThreadInfo> list_threads(pid_t pid) {
  std::vector<ThreadInfo> out;
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    ThreadInfo t;
    t.tid = static_cast<pid_t>(std::atoi(e->d_name));
    // stat holds both the name (the same task comm as the comm file) and the state: one read
    // per thread instead of two.
    if (auto stat = read_stat(dir + "/" + e->d_name + "/stat")) {
      t.name = std::move(stat->comm);
      t.state = stat->state;
    }
    out.push_back(std::move(t));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const ThreadInfo& a, const ThreadInfo& b) { return a.tid < b.tid; });
  return out;
}

pid_t tracer_pid(pid_t tid) {
  std::string status = read_small_file("/proc/" + std::to_string(tid) + "/status");
  auto pos = status.find("TracerPid:");
  if (pos == std::string::npos) return -1;
  return static_cast<pid_t>(std::atoi(status.c_str() + pos + std::strlen("TracerPid:")));
}

std::optional<pid_t> thread_group_of(pid_t tid) {
  auto fields = procfs::parse_status(read_small_file("/proc/" + std::to_string(tid) + "/status"));
  if (!fields.tgid) return std::nullopt;
  return static_cast<pid_t>(*fields.tgid);
}

bool thread_is_exiting(pid_t tid) {
  auto stat = read_stat("/proc/" + std::to_string(tid) + "/stat");
  // PF_EXITING is 0x00000004 (include/linux/sched.h).
  return !stat || stat->state == 'Z' || stat->state == 'X' || (stat->flags & 0x00000004ULL) != 0;
}

uint64_t executable_maps_hash(pid_t pid) {
  UniqueFd fd(::open(("/proc/" + std::to_string(pid) + "/maps").c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return 0;
  std::string maps;
  char buf[65536];
  for (ssize_t n; (n = ::read(fd.get(), buf, sizeof buf)) > 0;) maps.append(buf, static_cast<size_t>(n));
  uint64_t h = 1469598103934665603ULL;
  size_t pos = 0;
  while (pos < maps.size()) {
    size_t eol = maps.find('\n', pos);
    if (eol == std::string::npos) eol = maps.size();
    // "start-end perms ...": perms[2] == 'x' marks code.
    size_t sp = maps.find(' ', pos);
    if (sp != std::string::npos && sp + 3 < eol && maps[sp + 3] == 'x') {
      for (size_t i = pos; i < eol; ++i) h = (h ^ static_cast<uint8_t>(maps[i])) * 1099511628211ULL;
    }
    pos = eol + 1;
  }
  return h;
}

}  // namespace dbg::worker
