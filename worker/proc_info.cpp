#include "proc_info.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sstream>

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

// Fields after the comm: the comm may contain spaces and ')', so split after the last ')'.
std::vector<std::string> stat_fields_after_comm(const std::string& stat) {
  std::vector<std::string> fields;
  auto close = stat.rfind(')');
  if (close == std::string::npos) return fields;
  std::istringstream in(stat.substr(close + 1));
  std::string f;
  while (in >> f) fields.push_back(f);
  return fields;  // fields[0] is the state (stat field 3)
}

}  // namespace

bool process_exists(pid_t pid) { return ::access(("/proc/" + std::to_string(pid) + "/stat").c_str(), F_OK) == 0; }

std::string process_comm(pid_t pid) { return trim_newline(read_small_file("/proc/" + std::to_string(pid) + "/comm")); }

std::optional<char> thread_state(pid_t pid, pid_t tid) {
  auto fields = stat_fields_after_comm(
      read_small_file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/stat"));
  if (fields.empty() || fields[0].empty()) return std::nullopt;
  return fields[0][0];
}

std::optional<uint64_t> process_start_time(pid_t pid) {
  auto fields = stat_fields_after_comm(read_small_file("/proc/" + std::to_string(pid) + "/stat"));
  // starttime is stat field 22, i.e. index 19 after the comm.
  if (fields.size() < 20) return std::nullopt;
  return std::strtoull(fields[19].c_str(), nullptr, 10);
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
    t.name = trim_newline(read_small_file(dir + "/" + e->d_name + "/comm"));
    t.state = thread_state(pid, t.tid).value_or('?');
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

bool is_kernel_thread(pid_t pid) {
  auto fields = stat_fields_after_comm(read_small_file("/proc/" + std::to_string(pid) + "/stat"));
  // flags is stat field 9 (index 6); PF_KTHREAD is 0x00200000 (include/linux/sched.h).
  if (fields.size() < 7) return false;
  return (std::strtoull(fields[6].c_str(), nullptr, 10) & 0x00200000ULL) != 0;
}

}  // namespace dbg::worker
