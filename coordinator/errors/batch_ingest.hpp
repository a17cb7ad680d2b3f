#pragma once
// Batch ingest: a prepared batch (event_preparation.hpp) grouped, counted and stored, on the
// store thread inside one Store::write. Each event's group comes from the cache, else its row,
// else is created; the events go in with ids the cache hands out, many rows per INSERT; the
// touched groups' counts go back to the cache (dirty: their rows are written by a later flush,
// error_service.hpp "Group rows are written lazily"), except a reopened group's, written at once.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "coordinator/errors/error_rows.hpp"
#include "coordinator/errors/event_preparation.hpp"
#include "coordinator/errors/group_change.hpp"

namespace dbg::coord::store {
class StatementCache;
}

namespace dbg::coord::errors {

class GroupCache;

// One group as this batch changed it.
struct TouchedGroup {
  std::string signature;
  GroupCounts counts;
  bool created = false;
  bool reopened = false;
  const PreparedEvent* first = nullptr;  // the batch's first event of this group
  const PreparedEvent* last = nullptr;   // and its latest
  const std::shared_ptr<const PreparedEvent>* last_owner = nullptr;  // last's entry in the batch
};

struct BatchOutcome {
  std::vector<int64_t> group_ids;  // per event, in order; 0 for an event skipped (known ingest_key)
  std::size_t skipped = 0;         // events whose ingest_key was stored already
  int64_t first_event_id = 0;      // the batch's stored events have consecutive ids from here
  std::vector<TouchedGroup> touched;
  std::size_t groups_created = 0, regressions = 0;  // of `touched`
  // Stacks whose error_stacks id this write learned (stack_id set): cleared again if it is
  // rolled back, since the rows it inserted are then gone.
  std::vector<const PreparedStack*> new_stacks;
};

// Store thread, inside the write. On a throw the write is rolled back: the cache is dropped and
// the stacks it learned are forgotten (forget_batch) before the exception goes on.
void ingest_batch(store::StatementCache& sql, GroupCache& cache, const PreparedBatch& events, BatchOutcome& out);
// After a failed COMMIT: the database rolled back what the cache may already show (and perhaps
// flushes of other groups), so the cache is dropped and the batch's new stacks forgotten.
void forget_batch(GroupCache& cache, const BatchOutcome& outcome);
// The touched groups as observers get them (group_change.hpp).
std::vector<GroupChange> group_changes(const BatchOutcome& outcome);

}  // namespace dbg::coord::errors
