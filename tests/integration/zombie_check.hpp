#pragma once
// The coordinator reaps every child that ended (issue #9: a SIGKILLed worker or watcher used to
// stay an unreaped zombie of dbgcoord). For the fault and watch tests, which kill its children.
#include <sys/types.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace dbg::coord::test {

// Children of `parent` that have exited and were not waited for (state Z), found by reading every
// /proc/PID/stat: a zombie's ppid stays its parent until the parent reaps it (or exits).
inline std::vector<pid_t> zombie_children_of(pid_t parent) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");  // fails when the process vanished meanwhile
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // "pid (comm) S ppid ...": comm may hold spaces and parentheses, so parse after the last ')'.
    auto close = stat.rfind(')');
    if (close == std::string::npos || close + 4 >= stat.size()) continue;
    char state = stat[close + 2];
    pid_t ppid = static_cast<pid_t>(std::atoi(stat.c_str() + close + 4));
    if (state == 'Z' && ppid == parent) out.push_back(static_cast<pid_t>(std::stoi(name)));
  }
  return out;
}

// No zombie child of the coordinator remains, eventually: a killed child is a zombie for a
// moment before dbgcoord collects it, so poll. The deadline is a failure condition, not a
// measurement of how fast reaping is.
inline void require_no_zombie_children(pid_t coordinator, std::chrono::seconds deadline = std::chrono::seconds(10)) {
  auto end = std::chrono::steady_clock::now() + deadline;
  std::vector<pid_t> zombies;
  while (!(zombies = zombie_children_of(coordinator)).empty() && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::string listed;
  for (pid_t z : zombies) listed += " " + std::to_string(z);
  BOOST_TEST(zombies.empty(), "unreaped zombie children of dbgcoord " << coordinator << ":" << listed);
}

}  // namespace dbg::coord::test
