#include "coordinator/crash/crash_metrics.hpp"

#include <atomic>

namespace dbg::coord::crash {

namespace {

std::atomic<bool> g_installed{false}, g_host{false};
std::atomic<std::size_t> g_watches{0};

}  // namespace

CrashMetrics& crash_metrics() {
  static CrashMetrics m;
  // The mode is one family with one sample whose label says it: dashboards select on the label.
  static const bool collector = [] {
    metrics::global().add_collector([](metrics::Exposition& out) {
      const bool on = g_installed.load();
      out.family("dbgcoord_crash_capture_mode", "Crash capture mode: core (core_pattern runs our handler) or off.",
                 metrics::Exposition::Type::gauge);
      out.sample("dbgcoord_crash_capture_mode", {{"mode", on ? "core" : "off"}}, 1);
      out.gauge("dbgcoord_crash_core_watches", "Core-mode watches (the host-wide one not counted).",
                static_cast<double>(g_watches.load()));
      out.gauge("dbgcoord_crash_capture_host", "1 while --crash-capture host is installed.", g_host.load() ? 1 : 0);
    });
    return true;
  }();
  (void)collector;
  return m;
}

void update_capture_state(bool installed, std::size_t core_watches, bool host) {
  g_installed = installed;
  g_watches = core_watches;
  g_host = host;
}

}  // namespace dbg::coord::crash
