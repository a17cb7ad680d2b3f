#include "coordinator/errors/open_groups.hpp"

#include <string>

#include "coordinator/metrics/registry.hpp"
#include "coordinator/store/statement.hpp"

namespace dbg::coord::errors {

namespace {

// The kind of a group from its error_class (open_groups.hpp); the names match kOpenGroupKinds.
// GLOB 'SIG?*' is case-sensitive like the signal names signature.cpp keeps as the class.
constexpr std::string_view kSelectOpen =
    "SELECT CASE WHEN error_class GLOB 'SIG?*' OR error_class = 'crash' THEN 'crash' "
    "WHEN error_class = 'exit' THEN 'exit' WHEN error_class = 'DEADLOCK' THEN 'deadlock' "
    "WHEN error_class = 'BUSY_HANG' THEN 'hang' ELSE 'reported' END AS kind, count(*) "
    "FROM error_groups WHERE status = 'open' GROUP BY kind";

}  // namespace

OpenGroupCounts select_open_groups(store::StatementCache& sql) {
  OpenGroupCounts out;
  auto q = sql.get(kSelectOpen);
  while (q->step()) {
    const std::string kind = q->column_text(0);
    for (std::size_t i = 0; i < kOpenGroupKinds.size(); ++i) {
      if (kOpenGroupKinds[i] == kind) out.by_kind[i] = q->column_int64(1);
    }
  }
  return out;
}

void write_open_groups(metrics::Exposition& out, const OpenGroupCounts& counts) {
  constexpr std::string_view name = "dbgcoord_error_groups_open";
  out.family(name,
             "Error groups whose status is open (not resolved or ignored), by kind: crash (a signal, "
             "whoever reported it), exit (non-zero exit), deadlock, hang, reported (an application's own type).",
             metrics::Exposition::Type::gauge);
  for (std::size_t i = 0; i < kOpenGroupKinds.size(); ++i) {
    out.sample(name, {{"kind", std::string(kOpenGroupKinds[i])}}, static_cast<double>(counts.by_kind[i]));
  }
}

}  // namespace dbg::coord::errors
