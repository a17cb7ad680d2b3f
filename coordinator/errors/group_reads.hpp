#pragma once
// GroupReads: the API's reads of the error groups (list, one group) and its status change.
// Each runs as a store write: the dirty group rows are flushed first, in the same transaction
// (GroupCache::flush_or_drop), so the answer is exact, and it is given after that COMMIT.
// If that write fails (a full disk), a read is done again without writing, and the events the
// rows lack are added from SQLite (select_unfolded_events): exact counts still, though a group's
// list of latest events may then miss the newest ones.
//
// Threads: any; `done` runs on the store thread.
#include <cstdint>
#include <functional>
#include <memory>

#include <nlohmann/json.hpp>

#include "coordinator/errors/error_rows.hpp"
#include "dbg/error.hpp"

namespace dbg::coord::store {
class Store;
}

namespace dbg::coord::errors {

class GroupCache;
class GroupPublisher;

class GroupReads {
 public:
  using Done = std::function<void(Result<nlohmann::json>)>;

  // The store must outlive every call's completion; cache and publisher are kept by the jobs.
  GroupReads(store::Store& store, std::shared_ptr<GroupCache> cache, std::shared_ptr<GroupPublisher> publisher)
      : store_(store), cache_(std::move(cache)), publisher_(std::move(publisher)) {}

  // {"groups":[...]}, newest last_seen first.
  void list(GroupFilter filter, Done done);
  // The group plus "events" (its latest, newest first, with context); not_found if unknown.
  void get(int64_t id, int latest_events, Done done);
  // The group after the change, once committed (then "group_status" on the hub); not_found if
  // unknown. The cached counts follow the new status.
  void set_status(int64_t id, GroupStatus status, Done done);

 private:
  store::Store& store_;
  std::shared_ptr<GroupCache> cache_;
  std::shared_ptr<GroupPublisher> publisher_;
};

}  // namespace dbg::coord::errors
