#pragma once
// WatcherLink: the crash watch's one `dbg-worker watch` process and its channel
// (pool::WorkerChannel). Started on first use (no watches, no process); after it dies, replaced
// after a short delay while something is still watched, and the owner is told to re-add what
// it had attached (the old watcher's death released it). Events the watcher writes unprompted
// (crash, exit, watch_ended) go to the owner's on_event.
// Runs on the owner's strand; pid() may be read from any thread.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "coordinator/pool/worker_channel.hpp"

namespace boost::asio {
class io_context;
}

namespace dbg::coord::events {
class Hub;
}

namespace dbg::coord::watch {

class WatcherLink : public std::enable_shared_from_this<WatcherLink> {
 public:
  struct Hooks {
    std::function<void(const nlohmann::json& line)> on_event;
    std::function<bool()> still_needed;  // is a replacement worth starting?
    std::function<void()> on_replaced;   // a replacement runs: re-add every attached pid
  };

  WatcherLink(boost::asio::io_context& ioc, boost::asio::any_io_executor strand, std::string executable,
              std::chrono::milliseconds restart_delay, events::Hub& hub, Hooks hooks);

  // Sends a request for `pid` (starting the watcher if none runs). The reply gets the answer's
  // result, or an Error: the watcher's own, or "watcher_crashed" if it is not running or dies
  // first. A reply that throws is logged, as a line not understood.
  void request(const std::string& kind, int pid, const nlohmann::json& options, pool::WorkerChannel::Reply reply);
  // Kills the watcher (the kernel releases its targets, running); no replacement follows.
  void stop(const std::string& reason);
  int pid() const { return pid_.load(); }

 private:
  void ensure_running();
  void spawn(bool replacement);
  void schedule_restart();
  Error on_exit(const std::string& reason);
  void after_exit(const std::string& reason);

  boost::asio::io_context& ioc_;
  boost::asio::any_io_executor strand_;
  std::string executable_;
  std::chrono::milliseconds restart_delay_;
  events::Hub& hub_;
  Hooks hooks_;
  boost::asio::steady_timer restart_timer_;
  std::shared_ptr<pool::WorkerChannel> channel_;
  std::atomic<int> pid_{0};
  bool restart_pending_ = false;
  bool stopping_ = false;
};

}  // namespace dbg::coord::watch
