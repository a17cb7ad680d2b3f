#include "coordinator/budget/budget_policy.hpp"

#include <cstdio>

namespace dbg::coord::budget {

std::string_view stage_name(Stage stage) {
  switch (stage) {
    case Stage::normal: return "normal";
    case Stage::lower_sampling: return "lower_sampling";
    case Stage::shrink_caches: return "shrink_caches";
    case Stage::refuse_sessions: return "refuse_sessions";
  }
  return "normal";
}

Stage BudgetPolicy::observe(const BudgetSample& s) {
  const double mib = 1024.0 * 1024.0;
  reason_.clear();
  char text[160];
  if (s.rss_bytes > limits_.rss_bytes) {
    std::snprintf(text, sizeof text, "rss %.1f MiB > %.1f MiB", static_cast<double>(s.rss_bytes) / mib,
                  static_cast<double>(limits_.rss_bytes) / mib);
    reason_ = text;
  }
  if (s.cpu_percent && *s.cpu_percent > limits_.cpu_percent) {
    std::snprintf(text, sizeof text, "cpu %.2f %% > %.2f %%", *s.cpu_percent, limits_.cpu_percent);
    if (!reason_.empty()) reason_ += ", ";
    reason_ += text;
  }
  over_ = !reason_.empty();
  const bool calm = static_cast<double>(s.rss_bytes) < kRssCalmFraction * static_cast<double>(limits_.rss_bytes) &&
                    (!s.cpu_percent || *s.cpu_percent < kCpuCalmFraction * limits_.cpu_percent);
  if (over_) {
    calm_checks_ = 0;
    if (static_cast<int>(stage_) < kMaxStage) stage_ = static_cast<Stage>(static_cast<int>(stage_) + 1);
  } else if (calm) {
    if (stage_ != Stage::normal && ++calm_checks_ >= kCalmChecksPerStep) {
      calm_checks_ = 0;
      stage_ = static_cast<Stage>(static_cast<int>(stage_) - 1);
    }
  } else {
    calm_checks_ = 0;  // between the calm line and the limit: hold
  }
  return stage_;
}

}  // namespace dbg::coord::budget
