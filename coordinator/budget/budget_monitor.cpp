#include "coordinator/budget/budget_monitor.hpp"

#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

#include "coordinator/events/hub.hpp"
#include "coordinator/events/topics.hpp"
#include "coordinator/logging/log.hpp"
#include "coordinator/metrics/process_stats.hpp"
#include "coordinator/metrics/registry.hpp"

namespace dbg::coord::budget {

namespace {

// Registered on first use, in the order of the members.
struct BudgetMetrics {
  metrics::Gauge& over = metrics::gauge(
      "dbgcoord_budget_over", "1 when the last budget check found the coordinator over its RSS or CPU budget.");
  metrics::Gauge& stage = metrics::gauge(
      "dbgcoord_budget_stage",
      "Load shedding in force: 0 none, 1 lower profile sampling, 2 + smaller caches, 3 + new sessions refused.");
  metrics::Family<metrics::Counter>& shed = metrics::counter_family(
      "dbgcoord_budget_shed_total", "Load-shedding actions taken because the coordinator was over budget.", {"action"});
  metrics::Counter& checks =
      metrics::counter("dbgcoord_budget_checks_total", "Budget checks (RSS and CPU share measured).");
  metrics::Gauge& rss_limit =
      metrics::gauge("dbgcoord_budget_rss_limit_bytes", "The coordinator's resident-memory budget (--budget-rss-mb).");
  metrics::Gauge& cpu_limit =
      metrics::gauge("dbgcoord_budget_cpu_limit_ratio",
                     "The coordinator's CPU budget as a share of one core (--budget-cpu-percent / 100).");
  metrics::Gauge& cpu_usage = metrics::gauge("dbgcoord_budget_cpu_usage_ratio",
                                             "The coordinator's CPU share of one core over the budget's window.");
};

BudgetMetrics& budget_metrics() {
  static BudgetMetrics m;
  return m;
}

}  // namespace

struct BudgetMonitor::Impl {
  Impl(boost::asio::any_io_executor e, BudgetConfig c, std::shared_ptr<events::Hub> h, ShedActions a)
      : config(c), hub(std::move(h)), actions(std::move(a)), policy(c.limits), timer(std::move(e)) {}

  BudgetConfig config;
  std::shared_ptr<events::Hub> hub;
  ShedActions actions;
  BudgetPolicy policy;  // check() only (one timer, so never two checks at once)
  std::deque<std::pair<std::chrono::steady_clock::time_point, double>> cpu_history;  // check() only

  mutable std::mutex mutex;  // guards the timer (ticks vs stop) and the last sample (stats)
  boost::asio::steady_timer timer;
  bool stopped = false;
  BudgetSample last;
  std::string last_reason;
  bool last_over = false;
  uint64_t checks = 0;
};

BudgetMonitor::BudgetMonitor(boost::asio::any_io_executor executor, BudgetConfig config, std::shared_ptr<events::Hub> hub,
                             ShedActions actions)
    : impl_(std::make_unique<Impl>(std::move(executor), config, std::move(hub), std::move(actions))) {
  auto& m = budget_metrics();
  m.rss_limit.set(static_cast<double>(config.limits.rss_bytes));
  m.cpu_limit.set(config.limits.cpu_percent / 100.0);
  for (int s = 1; s <= kMaxStage; ++s) m.shed.with({std::string(stage_name(static_cast<Stage>(s)))});
  const auto retry = std::chrono::duration_cast<std::chrono::seconds>(config.interval * (kCalmChecksPerStep + 1)).count();
  shedding_.set_retry_after_s(static_cast<int>(std::max<int64_t>(1, retry)));
}

BudgetMonitor::~BudgetMonitor() { stop(); }

void BudgetMonitor::start() { arm(); }

void BudgetMonitor::stop() {
  std::lock_guard lock(impl_->mutex);
  impl_->stopped = true;
  impl_->timer.cancel();
}

void BudgetMonitor::arm() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->stopped) return;
  impl_->timer.expires_after(impl_->config.interval);
  impl_->timer.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    check();
    arm();
  });
}

void BudgetMonitor::check() {
  auto& im = *impl_;
  auto& m = budget_metrics();
  const auto now = std::chrono::steady_clock::now();
  BudgetSample sample;
  if (auto mem = metrics::read_memory()) sample.rss_bytes = mem->rss_bytes;
  im.cpu_history.emplace_back(now, metrics::process_cpu().total());
  while (im.cpu_history.size() > 2 && now - im.cpu_history[1].first >= im.config.cpu_window) im.cpu_history.pop_front();
  const auto span = now - im.cpu_history.front().first;
  if (span >= im.config.cpu_window) {
    const double wall = std::chrono::duration<double>(span).count();
    sample.cpu_percent = 100.0 * (im.cpu_history.back().second - im.cpu_history.front().second) / wall;
    m.cpu_usage.set(*sample.cpu_percent / 100.0);
  }

  const Stage before = im.policy.stage();
  const Stage after = im.policy.observe(sample);
  m.checks.inc();
  m.over.set(im.policy.over() ? 1 : 0);
  m.stage.set(static_cast<double>(after));
  {
    std::lock_guard lock(im.mutex);
    im.last = sample;
    im.last_reason = im.policy.reason();
    im.last_over = im.policy.over();
    ++im.checks;
  }

  auto event = [&](const char* direction) {
    return nlohmann::json{{"stage", static_cast<int>(after)},
                          {"stage_name", std::string(stage_name(after))},
                          {"direction", direction},
                          {"reason", im.policy.reason()},
                          {"rss_bytes", sample.rss_bytes},
                          {"rss_limit_bytes", im.config.limits.rss_bytes},
                          {"cpu_percent", sample.cpu_percent ? nlohmann::json(*sample.cpu_percent) : nlohmann::json(nullptr)},
                          {"cpu_limit_percent", im.config.limits.cpu_percent}};
  };
  const std::string topic(events::kTopicBudget);
  if (after > before) {
    // Entering a stage: its action first, then the word about it.
    shedding_.set_stage(static_cast<int>(after));
    m.shed.with({std::string(stage_name(after))}).inc();
    switch (after) {
      case Stage::lower_sampling:
        DBG_LOG_WARN("budget: over budget ({}): new profile sessions sample at half the rate they ask for",
                     im.policy.reason());
        break;
      case Stage::shrink_caches:
        if (im.actions.shrink_caches) im.actions.shrink_caches(true);
        DBG_LOG_WARN("budget: still over budget ({}): caches shrunk", im.policy.reason());
        break;
      case Stage::refuse_sessions:
        DBG_LOG_WARN("budget: still over budget ({}): new sessions are refused (503) until back under budget",
                     im.policy.reason());
        break;
      case Stage::normal:
        break;
    }
    im.hub->publish(topic, "stage_changed", event("shed"));
  } else if (after < before) {
    // Undoing the last stage first.
    if (before == Stage::shrink_caches && im.actions.shrink_caches) im.actions.shrink_caches(false);
    shedding_.set_stage(static_cast<int>(after));
    DBG_LOG_INFO("budget: back under budget: undid {} (stage now {})", stage_name(before), stage_name(after));
    im.hub->publish(topic, "stage_changed", event("recover"));
  }
  if (im.policy.over()) im.hub->publish(topic, "over_budget", event("hold"));
}

void BudgetMonitor::add_stats(nlohmann::json& stats) const {
  const auto& im = *impl_;
  std::lock_guard lock(im.mutex);
  const int stage = shedding_.stage();
  auto actions = nlohmann::json::array();
  for (int s = 1; s <= stage; ++s) actions.push_back(std::string(stage_name(static_cast<Stage>(s))));
  stats["budget"] = {
      {"rss_limit_bytes", im.config.limits.rss_bytes},
      {"cpu_limit_percent", im.config.limits.cpu_percent},
      {"rss_bytes", im.checks ? nlohmann::json(im.last.rss_bytes) : nlohmann::json(nullptr)},
      {"cpu_percent", im.last.cpu_percent ? nlohmann::json(*im.last.cpu_percent) : nlohmann::json(nullptr)},
      {"over", im.last_over},
      {"reason", im.last_reason},
      {"stage", stage},
      {"stage_name", std::string(stage_name(static_cast<Stage>(stage)))},
      {"actions", std::move(actions)},
      {"checks", im.checks},
      {"sessions_refused", shedding_.refused()},
      {"profiles_rate_lowered", shedding_.capped()},
  };
}

}  // namespace dbg::coord::budget
