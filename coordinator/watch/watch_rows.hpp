#pragma once
// A watch as a row of the watches table (migrations/0004_watches.sql, 0010), and back. Runs on the
// store's thread through Store::write/read; no transactions here.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dbg::coord::store {
class StatementCache;
}

namespace dbg::coord::watch {

struct WatchRow {
  std::string id;
  std::string kind;    // "pid" or "match"
  std::string status;  // "active", "ended"
  int64_t created_at_ms = 0;
  nlohmann::json body;  // the watch as the API shows it, plus what a restart needs
  std::string mode = "ptrace";  // "ptrace" or "core" (migrations/0010_core_watches.sql)
};

void upsert_watch(store::StatementCache& sql, const WatchRow& row, int64_t now_ms);
void delete_watch(store::StatementCache& sql, const std::string& id);
std::vector<WatchRow> select_watches(store::StatementCache& sql);

}  // namespace dbg::coord::watch
