#include "coordinator/detect/thread_cpu.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "dbg/proc_stat.hpp"

namespace dbg::coord::detect {

CpuSample sample_thread_cpu(int pid) {
  CpuSample out;
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      const int tid = std::atoi(e->d_name);
      const std::string task = dir + "/" + e->d_name;
      std::ifstream in(task + "/stat");
      std::stringstream text;
      text << in.rdbuf();
      if (auto stat = procfs::parse_stat(text.str())) out.ticks[tid] = stat->utime + stat->stime;
      std::ifstream status_file(task + "/status");
      std::stringstream status;
      status << status_file.rdbuf();
      if (auto switches = procfs::parse_status(status.str()).voluntary_ctxt_switches) out.voluntary_switches[tid] = *switches;
    }
    ::closedir(d);
  }
  out.taken = std::chrono::steady_clock::now();
  return out;
}

double cpu_share(const CpuSample& first, const CpuSample& last, int tid) {
  auto a = first.ticks.find(tid), b = last.ticks.find(tid);
  if (a == first.ticks.end() || b == last.ticks.end() || b->second < a->second) return 0;
  double seconds = std::chrono::duration<double>(last.taken - first.taken).count();
  static const double ticks_per_second = static_cast<double>(::sysconf(_SC_CLK_TCK));
  if (seconds <= 0 || ticks_per_second <= 0) return 0;
  return static_cast<double>(b->second - a->second) / ticks_per_second / seconds;
}

std::optional<uint64_t> voluntary_switches_between(const CpuSample& first, const CpuSample& last, int tid) {
  auto a = first.voluntary_switches.find(tid), b = last.voluntary_switches.find(tid);
  if (a == first.voluntary_switches.end() || b == last.voluntary_switches.end() || b->second < a->second)
    return std::nullopt;
  return b->second - a->second;
}

}  // namespace dbg::coord::detect
