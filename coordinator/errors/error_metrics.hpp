#pragma once
// The error groups' instruments in the global registry (/metrics), and the numbers
// /api/v1/stats shows under "errors". Registered on first use; one set per process, like
// analysis_metrics().
#include "coordinator/metrics/registry.hpp"

namespace dbg::coord::errors {

struct ErrorMetrics {
  metrics::Counter& events_recorded;    // committed
  metrics::Counter& events_failed;      // refused by the store
  metrics::Counter& groups_created;
  metrics::Counter& regressions;        // resolved groups reopened
  metrics::Counter& stack_memo_hits;    // frames texts skipped by the parser (prepared_stack.hpp)
  metrics::Counter& stack_memo_misses;  // frames texts parsed and prepared
  metrics::Gauge& stack_memo_entries;
  metrics::Gauge& stack_memo_bytes;
};

ErrorMetrics& error_metrics();

}  // namespace dbg::coord::errors
