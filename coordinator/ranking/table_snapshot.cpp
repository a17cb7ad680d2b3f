#include "coordinator/ranking/table_snapshot.hpp"

#include <algorithm>

#include "dbg/protocol.hpp"

namespace dbg::coord::ranking {

namespace {

constexpr std::size_t kSortKeys = 6;

struct KeyName {
  SortKey key;
  const char* name;
};
constexpr KeyName kKeyNames[] = {{SortKey::score, "score"}, {SortKey::pid, "pid"},         {SortKey::cpu, "cpu"},
                                 {SortKey::rss, "rss"},     {SortKey::threads, "threads"}, {SortKey::comm, "comm"}};

// True when (a, a_pid) comes before (b, b_pid) in (order), ties by pid ascending.
bool before(const SortValue& a, int a_pid, const SortValue& b, int b_pid, SortOrder order) {
  if (a != b) return order == SortOrder::asc ? a < b : b < a;
  return a_pid < b_pid;
}

}  // namespace

const std::string& TableEntry::json() const {
  std::call_once(json_once_, [this] { json_ = protocol::dump(nlohmann::json(ranked)); });
  return json_;
}

std::optional<SortKey> parse_sort_key(std::string_view name) {
  for (const auto& k : kKeyNames)
    if (name == k.name) return k.key;
  return std::nullopt;
}

const char* to_string(SortKey key) {
  for (const auto& k : kKeyNames)
    if (k.key == key) return k.name;
  return "score";
}

const char* to_string(SortOrder order) { return order == SortOrder::asc ? "asc" : "desc"; }

SortOrder default_order(SortKey key) {
  return key == SortKey::pid || key == SortKey::comm ? SortOrder::asc : SortOrder::desc;
}

SortValue sort_value(const RankedProcess& p, SortKey key) {
  switch (key) {
    case SortKey::score: return p.score;
    case SortKey::pid: return static_cast<double>(p.process.pid);
    case SortKey::cpu: return p.cpu_share;
    case SortKey::rss: return static_cast<double>(p.process.rss_bytes);
    case SortKey::threads: return static_cast<double>(p.process.threads);
    case SortKey::comm: return p.process.comm;
  }
  return 0.0;
}

TableSnapshot::TableSnapshot(std::vector<EntryPtr> entries, TableInfo info)
    : by_rank_(std::move(entries)), info_(std::move(info)), orders_(kSortKeys * 2) {
  std::sort(by_rank_.begin(), by_rank_.end(), [](const EntryPtr& a, const EntryPtr& b) {
    if (a->ranked.score != b->ranked.score) return a->ranked.score > b->ranked.score;
    return a->ranked.process.pid < b->ranked.process.pid;
  });
  by_pid_.reserve(by_rank_.size());
  for (const auto& e : by_rank_) by_pid_.push_back(e.get());
  std::sort(by_pid_.begin(), by_pid_.end(),
            [](const TableEntry* a, const TableEntry* b) { return a->ranked.process.pid < b->ranked.process.pid; });
}

const TableEntry* TableSnapshot::find(int pid) const {
  auto it = std::lower_bound(by_pid_.begin(), by_pid_.end(), pid,
                             [](const TableEntry* e, int p) { return e->ranked.process.pid < p; });
  return it != by_pid_.end() && (*it)->ranked.process.pid == pid ? *it : nullptr;
}

const std::vector<const TableEntry*>& TableSnapshot::ordered(SortKey key, SortOrder order) const {
  std::lock_guard lock(orders_mutex_);
  auto& slot = orders_[static_cast<std::size_t>(key) * 2 + (order == SortOrder::asc ? 0 : 1)];
  if (!slot) {
    if (key == SortKey::pid && order == SortOrder::asc) {
      slot = std::make_unique<std::vector<const TableEntry*>>(by_pid_);
    } else {
      // Values computed once per process, not per comparison (comm would copy a string each).
      std::vector<std::pair<SortValue, const TableEntry*>> keyed;
      keyed.reserve(by_pid_.size());
      for (const TableEntry* e : by_pid_) keyed.emplace_back(sort_value(e->ranked, key), e);
      std::sort(keyed.begin(), keyed.end(), [order](const auto& a, const auto& b) {
        return before(a.first, a.second->ranked.process.pid, b.first, b.second->ranked.process.pid, order);
      });
      slot = std::make_unique<std::vector<const TableEntry*>>();
      slot->reserve(keyed.size());
      for (const auto& [value, e] : keyed) slot->push_back(e);
    }
  }
  return *slot;
}

std::size_t TableSnapshot::first_after(SortKey key, SortOrder order, const SortValue& value, int pid) const {
  const auto& list = ordered(key, order);
  // The first entry that (value, pid) comes before: entries at and before the cursor are skipped.
  auto it = std::partition_point(list.begin(), list.end(), [&](const TableEntry* e) {
    return !before(value, pid, sort_value(e->ranked, key), e->ranked.process.pid, order);
  });
  return static_cast<std::size_t>(it - list.begin());
}

}  // namespace dbg::coord::ranking
