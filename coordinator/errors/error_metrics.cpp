#include "coordinator/errors/error_metrics.hpp"

namespace dbg::coord::errors {

ErrorMetrics& error_metrics() {
  auto& r = metrics::global();
  static ErrorMetrics m{
      r.counter("dbgcoord_error_events_total", "Error events committed (crashes, non-zero exits, reports)."),
      r.counter("dbgcoord_error_events_failed_total", "Error events not stored (the store refused their write)."),
      r.counter("dbgcoord_error_groups_created_total", "Error groups created (first event of a signature)."),
      r.counter("dbgcoord_error_group_regressions_total", "Resolved error groups reopened by a new event."),
      r.counter("dbgcoord_error_stack_memo_hits_total",
                "Reported frames texts the parser knew already (skipped, their prepared stack shared)."),
      r.counter("dbgcoord_error_stack_memo_misses_total", "Reported frames texts parsed and prepared."),
      r.gauge("dbgcoord_error_stack_memo_entries", "Frames texts in the parse thread's memo."),
      r.gauge("dbgcoord_error_stack_memo_bytes", "Bytes the parse thread's memo of frames texts holds."),
  };
  return m;
}

}  // namespace dbg::coord::errors
