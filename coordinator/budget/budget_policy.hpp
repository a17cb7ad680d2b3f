#pragma once
// When the coordinator is over its own budget (resident memory, CPU share), what to shed, in a
// fixed order, and when to give it back. Pure: fed one sample per check, so the order and the
// hysteresis are tested without clocks.
//
// Order (each check that finds the coordinator over budget adds the next stage; the stages
// before stay in force):
//   1 lower_sampling   new profile sessions get half the sampling rate they ask for
//   2 shrink_caches    the error groups' and the store's caches shrink, freed heap is returned
//   3 refuse_sessions  new sessions get 503 + Retry-After
// Cheapest for users first: a coarser profile still answers, an emptier cache costs some
// latency, a refusal costs the request.
//
// Hysteresis: "over" is above a limit; "calm" is under 90 % of the memory limit and 80 % of the
// CPU limit (memory falls slowly once allocated, CPU at once). In between the stage holds. After
// kCalmChecksPerStep calm checks in a row one stage is undone, the last first; any over check
// escalates again. So the coordinator neither flaps at the limit nor stays degraded.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dbg::coord::budget {

enum class Stage : int { normal = 0, lower_sampling = 1, shrink_caches = 2, refuse_sessions = 3 };
inline constexpr int kMaxStage = 3;
inline constexpr double kRssCalmFraction = 0.9;
inline constexpr double kCpuCalmFraction = 0.8;
inline constexpr int kCalmChecksPerStep = 3;

// "normal", "lower_sampling", "shrink_caches", "refuse_sessions": also the metric's action label.
std::string_view stage_name(Stage stage);

struct BudgetLimits {
  int64_t rss_bytes = 50ll << 20;
  double cpu_percent = 5;  // of one core
};

struct BudgetSample {
  int64_t rss_bytes = 0;
  std::optional<double> cpu_percent;  // nullopt: not enough history to judge CPU yet
};

class BudgetPolicy {
 public:
  explicit BudgetPolicy(BudgetLimits limits) : limits_(limits) {}

  // One check: returns the stage now in force (one above, one below, or the same as before).
  Stage observe(const BudgetSample& sample);

  Stage stage() const { return stage_; }
  bool over() const { return over_; }
  // Why the last check was over budget ("rss 61.2 MiB > 50.0 MiB"), empty when it was not.
  const std::string& reason() const { return reason_; }
  const BudgetLimits& limits() const { return limits_; }

 private:
  BudgetLimits limits_;
  Stage stage_ = Stage::normal;
  bool over_ = false;
  int calm_checks_ = 0;
  std::string reason_;
};

}  // namespace dbg::coord::budget
