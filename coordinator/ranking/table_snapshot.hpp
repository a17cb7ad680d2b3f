#pragma once
// One immutable version of the process table (process_table.hpp): every process with its rank
// and the terms that explain it, ordered by rank and by pid, plus orders for the sorts the API
// offers, built the first time a request asks for one and kept with the version. Readers hold a
// shared_ptr to it; the table publishes a new version instead of changing this one, so a request
// never waits for a refresh and never sees half of one.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "coordinator/ranking/ranked_process.hpp"

namespace dbg::coord::ranking {

// A process as the table holds it. The JSON of GET /api/v1/processes is written once per
// version of the process, when first asked for, not at every request.
class TableEntry {
 public:
  explicit TableEntry(RankedProcess ranked) : ranked(std::move(ranked)) {}
  const RankedProcess ranked;
  // to_json(ranked) as text, an object: {"pid":…,…,"terms":[…]}.
  const std::string& json() const;

 private:
  mutable std::once_flag json_once_;
  mutable std::string json_;
};
using EntryPtr = std::shared_ptr<const TableEntry>;

// The sorts of GET /api/v1/processes?sort=…: the columns the dashboard sorts by.
enum class SortKey { score, pid, cpu, rss, threads, comm };
enum class SortOrder { asc, desc };
std::optional<SortKey> parse_sort_key(std::string_view name);
const char* to_string(SortKey key);
const char* to_string(SortOrder order);
// The order a sort uses when none is asked for: the biggest first, except pid and comm.
SortOrder default_order(SortKey key);

// A process's value of a sort key: a number, or the comm for SortKey::comm.
using SortValue = std::variant<double, std::string>;
SortValue sort_value(const RankedProcess& p, SortKey key);

// How the table was kept when this version was made (served as "table" by the API).
struct TableInfo {
  std::string events;         // "proc_connector", or "off" (--proc-events off) or "unavailable"
  std::string events_reason;  // why not, for "unavailable"
  std::uint64_t generation = 0;      // versions published so far
  std::int64_t refreshed_at_ms = 0;  // unix time of the last /proc scan
  std::int64_t refresh_interval_ms = 0;  // the scan interval now (it adapts to the host's size)
  double refresh_cpu_ms = 0;         // CPU time of the last scan
  std::uint64_t scans = 0, events_applied = 0, overflows = 0;
};

class TableSnapshot {
 public:
  TableSnapshot(std::vector<EntryPtr> entries, TableInfo info);
  TableSnapshot(const TableSnapshot&) = delete;
  TableSnapshot& operator=(const TableSnapshot&) = delete;

  // Score descending, ties by pid ascending: the rank order of sessions and of the default list.
  const std::vector<EntryPtr>& by_rank() const { return by_rank_; }
  // The process with this pid, or nullptr.
  const TableEntry* find(int pid) const;
  std::size_t size() const { return by_rank_.size(); }
  const TableInfo& info() const { return info_; }

  // Every process in (key, order), ties always by pid ascending. Thread-safe; built once.
  const std::vector<const TableEntry*>& ordered(SortKey key, SortOrder order) const;
  // The index in ordered(key, order) of the first process after (value, pid) in that order:
  // where the page after a process with that value and pid begins, whether that process still
  // exists or not (keyset paging: processes born or gone in between do not shift the rest).
  std::size_t first_after(SortKey key, SortOrder order, const SortValue& value, int pid) const;

 private:
  std::vector<EntryPtr> by_rank_;
  std::vector<const TableEntry*> by_pid_;
  TableInfo info_;
  mutable std::mutex orders_mutex_;
  mutable std::vector<std::unique_ptr<std::vector<const TableEntry*>>> orders_;  // [key * 2 + order]
};

}  // namespace dbg::coord::ranking
