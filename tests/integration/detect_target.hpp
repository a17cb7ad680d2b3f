#pragma once
// The `deadlock` target (tests/targets/deadlock.c) started in a mode, with what it printed
// before "ready": its threads (name -> tid) and mutexes (name -> address). Killed on destruction
// (ChildProcess is RAII).
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>

#include "test_support.hpp"

namespace dbg::test {

struct DetectTarget {
  ChildProcess process;
  std::map<std::string, int> threads;        // "dl-a" -> tid
  std::map<std::string, uint64_t> mutexes;   // "M0" -> address

  explicit DetectTarget(const std::string& mode) : process({target_path("deadlock"), mode}) {
    for (;;) {
      auto line = process.read_line(std::chrono::seconds(20));
      if (!line) throw std::runtime_error("deadlock " + mode + " did not get ready");
      if (*line == "ready") break;
      std::istringstream in(*line);
      std::string what, name, value;
      in >> what >> name >> value;
      if (what == "thread") threads[name] = std::atoi(value.c_str());
      if (what == "mutex") mutexes[name] = std::strtoull(value.c_str(), nullptr, 16);
    }
  }
  int pid() const { return process.pid(); }
};

}  // namespace dbg::test
