#pragma once
// BudgetMonitor: measures the coordinator's own resident memory and CPU share every `interval`,
// feeds BudgetPolicy, and carries out what it decides: updates Shedding (read by the session
// routes), shrinks or restores the caches, and says so in the log (WARN per stage entered), in
// metrics (dbgcoord_budget_over, dbgcoord_budget_stage, dbgcoord_budget_shed_total{action}) and
// on the hub (topic "budget": "stage_changed" on every change, "over_budget" at every check
// while over, so a client that subscribes late still learns the state).
//
// CPU share is CPU time over wall time across the last `cpu_window` (a minute by default), in
// percent of one core; it is not judged before a full window has passed, since start-up work
// and a single burst are not a budget overrun.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <nlohmann/json.hpp>

#include "coordinator/budget/budget_policy.hpp"
#include "coordinator/budget/shedding.hpp"

namespace dbg::coord::events {
class Hub;
}

namespace dbg::coord::budget {

struct BudgetConfig {
  BudgetLimits limits;
  std::chrono::milliseconds interval{1000};
  std::chrono::seconds cpu_window{60};
};

struct ShedActions {
  // true: shrink the caches (stage 2 entered); false: restore them (stage 2 undone).
  std::function<void(bool shrink)> shrink_caches;
};

class BudgetMonitor {
 public:
  BudgetMonitor(boost::asio::any_io_executor executor, BudgetConfig config, std::shared_ptr<events::Hub> hub,
                ShedActions actions);
  ~BudgetMonitor();
  BudgetMonitor(const BudgetMonitor&) = delete;
  BudgetMonitor& operator=(const BudgetMonitor&) = delete;

  void start();
  void stop();

  Shedding& shedding() { return shedding_; }
  // The "budget" block of /api/v1/stats.
  void add_stats(nlohmann::json& stats) const;

 private:
  struct Impl;
  void check();
  void arm();
  Shedding shedding_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dbg::coord::budget
