#include "coordinator/errors/batch_ingest.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "coordinator/errors/group_cache.hpp"

namespace dbg::coord::errors {

namespace {

void forget_new_stacks(const BatchOutcome& outcome) {
  for (const PreparedStack* stack : outcome.new_stacks) stack->stack_id.store(0, std::memory_order_relaxed);
}

void ingest_events(store::StatementCache& sql, GroupCache& cache, const PreparedBatch& events, BatchOutcome& out) {
  out = BatchOutcome{};
  cache.settle(sql);
  out.group_ids.reserve(events.size());
  out.first_event_id = cache.next_event_id();
  // Inserted together after the loop (insert_events: many rows per statement); the rows view
  // the prepared events' strings, which outlive this call.
  std::vector<EventRow> rows;
  rows.reserve(events.size());
  // Index into out.touched by signature: a batch of 1,000 events into a few groups updates each
  // group row once, not 1,000 times.
  std::unordered_map<std::string_view, std::size_t> index;
  // Most events share their stack with earlier ones (the parse thread's memo), which know
  // their row once one of them was stored.
  auto stack_of = [&](const PreparedEvent& p) {
    const PreparedStack& stack = *p.stack;
    if (const int64_t known = stack.stack_id.load(std::memory_order_relaxed)) return known;
    const int64_t id = intern_stack(sql, stack.frames_json);
    stack.stack_id.store(id, std::memory_order_relaxed);
    out.new_stacks.push_back(&stack);
    return id;
  };
  out.touched.reserve(std::min<std::size_t>(events.size(), 1024));
  for (const auto& owner : events) {
    const PreparedEvent& p = *owner;
    if (!p.event.ingest_key.empty() && !claim_ingest_key(sql, p.event.ingest_key, p.received_at)) {
      out.group_ids.push_back(0);
      ++out.skipped;
      continue;
    }
    const std::string& signature = p.signature;
    std::size_t at;
    if (auto it = index.find(signature); it != index.end()) {
      at = it->second;
    } else {
      TouchedGroup t;
      t.signature = signature;
      t.first = &p;
      if (auto known = cache.lookup(sql, signature)) {
        t.counts = *known;
      } else {
        t.counts.id = insert_group(sql, NewGroupRow{signature, p.error_class, p.event.type, p.event.message,
                                                    stack_of(p), p.stack->signature_frames_json, p.received_at});
        t.counts.first_seen = t.counts.last_seen = t.counts.status_changed_at = p.received_at;
        t.created = true;
        ++out.groups_created;
      }
      at = out.touched.size();
      out.touched.push_back(std::move(t));
      // Keyed by a view of the event's own signature, which outlives this loop (a view of
      // out.touched's copy would dangle when the vector grows).
      index.emplace(std::string_view(signature), at);
    }
    TouchedGroup& t = out.touched[at];
    t.last = &p;
    t.last_owner = &owner;
    GroupCounts& g = t.counts;
    if (g.status == GroupStatus::resolved) {
      // A resolved error that happens again is a regression: reopen, as trackers do.
      g.status = GroupStatus::open;
      g.status_changed_at = p.received_at;
      ++g.regressions;
      t.reopened = true;
      ++out.regressions;
    }
    ++g.count;
    g.first_seen = std::min(g.first_seen, p.received_at);
    g.last_seen = std::max(g.last_seen, p.received_at);
    const int64_t stack_id = stack_of(p);
    const int64_t event_id = cache.take_event_id();
    rows.push_back(EventRow{event_id, g.id, g.last_event_id, p.received_at, p.event.timestamp_ms, p.event.source,
                            p.event.kind, p.event.type, p.event.message, p.event.pid, p.event.comm, stack_id,
                            p.context_json});
    g.last_event_id = event_id;
    out.group_ids.push_back(g.id);
  }
  // Only now, every statement done: the cache shows this batch (a throw above drops it; so
  // does a failed COMMIT, in forget_batch). A reopened group's row is written at once: its
  // status must not wait for a flush (the fold after a crash restores counts, not statuses).
  insert_events(sql, rows);
  for (const auto& t : out.touched) {
    if (t.reopened) update_group_counts(sql, t.counts);
    cache.put(sql, t.signature, CachedGroup{t.counts, !t.reopened});
  }
  cache.flush_if_due(sql);
}

}  // namespace

void ingest_batch(store::StatementCache& sql, GroupCache& cache, const PreparedBatch& events, BatchOutcome& out) {
  try {
    cache.or_drop([&] { ingest_events(sql, cache, events, out); });
  } catch (...) {
    forget_new_stacks(out);  // the rows that gave them their ids are rolled back
    throw;
  }
}

void forget_batch(GroupCache& cache, const BatchOutcome& outcome) {
  cache.drop();
  forget_new_stacks(outcome);
}

std::vector<GroupChange> group_changes(const BatchOutcome& outcome) {
  std::vector<GroupChange> changes;
  changes.reserve(outcome.touched.size());
  for (const auto& t : outcome.touched) {
    const PreparedEvent& named = t.created ? *t.first : *t.last;
    const std::shared_ptr<const PreparedEvent>& latest = *t.last_owner;
    // Aliasing pointers: each shares ownership of the whole event, or of its stack.
    changes.push_back(GroupChange{t.counts.id, t.created, t.signature, t.first->error_class, named.event.type,
                                  named.event.message, std::shared_ptr<const ErrorEvent>(latest, &latest->event),
                                  std::shared_ptr<const std::vector<std::string>>(latest->stack, &latest->stack->signature_frames),
                                  std::shared_ptr<const std::string>(latest->stack, &latest->stack->frames_json),
                                  std::shared_ptr<const std::string>(latest, &latest->context_json)});
  }
  return changes;
}

}  // namespace dbg::coord::errors
