#pragma once
// dbgcoord_error_groups_open{kind=...}: how many error groups are open on this host, by the kind
// of error, so Prometheus can answer "which hosts have open crash groups" without a dashboard.
//
// Open: the group's status is 'open' (migrations/0005_errors.sql). A group row exists only once an
// event made it, and resolving or ignoring it changes the row at once (a regression reopens it
// at once too, batch_ingest.cpp), so the status column is exact even while counts lag.
//
// Kind is read from error_class, which the signature derives from the event type: "SIGSEGV" (and
// a watch's fallback "crash") is a crash whoever reported it, "exit" a non-zero exit,
// "DEADLOCK"/"BUSY_HANG" the detector's findings; every other class is an application's own type,
// "reported". Labels come from this fixed set only: a class per reported type would let any
// client mint series.
#include <array>
#include <cstdint>
#include <string_view>

namespace dbg::coord::store {
class StatementCache;
}
namespace dbg::coord::metrics {
class Exposition;
}

namespace dbg::coord::errors {

inline constexpr std::array<std::string_view, 5> kOpenGroupKinds = {"crash", "exit", "deadlock", "hang", "reported"};

struct OpenGroupCounts {
  std::array<int64_t, kOpenGroupKinds.size()> by_kind{};  // in the order of kOpenGroupKinds
};

// One scan of error_groups, once per scrape on the store thread: about 17 ms at 100,000 groups
// (measured), cheap enough at a scrape every 15 s to need no index (nor a migration for one).
OpenGroupCounts select_open_groups(store::StatementCache& sql);

// The family with one sample per kind, zeros included: an alert on "> 0" then always has a
// series to compare, and a host without open groups shows 0 rather than nothing.
void write_open_groups(metrics::Exposition& out, const OpenGroupCounts& counts);

}  // namespace dbg::coord::errors
