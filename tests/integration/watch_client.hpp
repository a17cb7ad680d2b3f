#pragma once
// A `dbg-worker watch` process driven by a test: requests out, answers and events in.
#include <chrono>
#include <deque>
#include <string>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace dbg::test {

class WatchClient {
 public:
  WatchClient() {
    auto hello = process_.read_line(std::chrono::seconds(10));
    BOOST_REQUIRE_MESSAGE(hello, "dbg-worker watch said nothing");
    auto j = nlohmann::json::parse(*hello);
    BOOST_REQUIRE(j.at("type") == "hello");
  }
  ChildProcess& process() { return process_; }

  void send(const std::string& line) { BOOST_REQUIRE(process_.write_stdin(line + "\n")); }

  // The answer with this id; events read meanwhile are kept for next_event().
  nlohmann::json ask(const std::string& line, const std::string& id) {
    send(line);
    for (;;) {
      auto j = read();
      BOOST_REQUIRE_MESSAGE(!j.is_null(), "no answer to " << line);
      if (j.contains("id") && j.at("id") == id) return j;
      events_.push_back(std::move(j));
    }
  }
  nlohmann::json add(pid_t pid, const std::string& options = "{}") {
    std::string id = "add" + std::to_string(pid);
    return ask(R"({"v":1,"id":")" + id + R"(","kind":"watch_add","pid":)" + std::to_string(pid) +
                   R"(,"options":)" + options + "}",
               id);
  }
  nlohmann::json remove(pid_t pid) {
    std::string id = "rm" + std::to_string(pid);
    return ask(R"({"v":1,"id":")" + id + R"(","kind":"watch_remove","pid":)" + std::to_string(pid) + "}", id);
  }

  // The next unsolicited line (crash, exit, watch_ended); null on timeout or EOF.
  nlohmann::json next_event(std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    if (!events_.empty()) {
      auto j = std::move(events_.front());
      events_.pop_front();
      return j;
    }
    return read(timeout);
  }
  // Events until (and including) watch_ended for pid.
  std::vector<nlohmann::json> events_until_end(pid_t pid) {
    std::vector<nlohmann::json> out;
    for (;;) {
      auto j = next_event();
      BOOST_REQUIRE_MESSAGE(!j.is_null(), "no watch_ended for " << pid);
      out.push_back(j);
      if (j.at("type") == "watch_ended" && j.at("pid") == pid) return out;
    }
  }

 private:
  nlohmann::json read(std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    auto line = process_.read_line(timeout);
    if (!line) return nullptr;
    return nlohmann::json::parse(*line);
  }
  ChildProcess process_{{bin_path("dbg-worker"), "watch"}};
  std::deque<nlohmann::json> events_;
};

}  // namespace dbg::test
