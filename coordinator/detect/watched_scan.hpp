#pragma once
// The scheduled check (--detect-interval SECONDS): every interval, the deadlock and busy-hang
// checks (detector.hpp) on each process the crash watch lists now: two `process`-consistency
// captures, hang_interval_ms apart, taken by the crash watcher on the threads it already holds
// (a pool worker would get already_traced; a pid the watcher no longer holds goes to the pool).
// The deadlock check reads the second capture, the busy-hang check compares both. A finding is
// reported (error event) when it differs from the one last reported for that pid, so a
// deadlock that persists for hours is one event, not one per tick; it is reported again once it
// went away and came back.
//
// The next round starts an interval after the previous one ended: rounds never overlap, however
// slow the pool.
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "coordinator/detect/finding.hpp"

namespace dbg::coord::detect {

class Detector;

// rounds started; checks finished (a pid's two captures and analysis), of which failed;
// findings reported as error events.
struct WatchedScanStats {
  uint64_t rounds = 0, checks = 0, failed = 0, findings_reported = 0;
};

class WatchedScan {
 public:
  using ListPids = std::function<void(std::function<void(std::vector<int>)>)>;
  // Called for each finding reported (besides its error event): the live "detect" topic.
  using OnFinding = std::function<void(int pid, const Finding& finding)>;
  WatchedScan(boost::asio::any_io_executor io, std::chrono::seconds interval, Detector& detector, ListPids list_pids,
              OnFinding on_finding = nullptr);
  ~WatchedScan();
  WatchedScan(const WatchedScan&) = delete;
  WatchedScan& operator=(const WatchedScan&) = delete;

  void start();  // no-op when interval is 0
  void stop();
  // Any thread (/api/v1/stats "scheduled_checks").
  WatchedScanStats stats() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace dbg::coord::detect
