#include "coordinator/errors/error_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <deque>
#include <map>
#include <mutex>
#include <pthread.h>
#include <unordered_map>

#include "coordinator/errors/error_event_json.hpp"
#include "coordinator/errors/error_metrics.hpp"
#include "coordinator/errors/lru_map.hpp"
#include "coordinator/errors/prepared_stack.hpp"
#include "coordinator/errors/signature.hpp"
#include "coordinator/events/hub.hpp"
#include "coordinator/events/topics.hpp"
#include "coordinator/store/statement.hpp"
#include "coordinator/store/store.hpp"

namespace dbg::coord::errors {

namespace {

constexpr std::size_t kMaxTypeBytes = 200;
constexpr std::size_t kMaxCommBytes = 64;
constexpr std::size_t kMaxLabelBytes = 32;  // source, kind

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// At most max_chars UTF-8 characters (code points): the issue bounds messages in characters.
std::string cut_chars(std::string text, std::size_t max_chars) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (chars++ == max_chars) {
      text.resize(i);
      break;
    }
  }
  return text;
}

std::string cut_bytes(std::string text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text;
}

std::string dump(const nlohmann::json& j) {
  // Names and messages come from other processes: invalid UTF-8 is replaced, never thrown on.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// An event ready for the store thread: bounded, signed and serialized on the caller's thread,
// so the single store thread does nothing but grouping and SQL.
struct PreparedEvent {
  ErrorEvent event;  // its frames are in `stack` (event.frames is empty)
  std::shared_ptr<const PreparedStack> stack;
  std::string signature;  // signature.hpp: 32 hex digits
  std::string error_class;
  std::string context_json;
  int64_t received_at = 0;
};

// One heap object per event: after the COMMIT an observer may keep an event (the analysis keeps
// each touched group's latest until it gets to it) without keeping its whole batch.
using PreparedBatch = std::vector<std::shared_ptr<const PreparedEvent>>;

// `stack`: the event's frames prepared already (the parse thread's memo), else null and made
// from e.frames. `memo`: the memo's entry for that stack, whose last signature is reused when
// the error class is the same (with frames, nothing else goes into the signature).
PreparedEvent prepare(ErrorEvent e, int64_t received_at, std::shared_ptr<const PreparedStack> stack = nullptr,
                      StackMemo::Entry* memo = nullptr) {
  PreparedEvent p;
  e.type = cut_bytes(std::move(e.type), kMaxTypeBytes);
  if (e.type.empty()) e.type = "unknown";
  e.message = cut_chars(std::move(e.message), kMaxMessageChars);
  e.comm = cut_bytes(std::move(e.comm), kMaxCommBytes);
  e.source = cut_bytes(e.source.empty() ? std::string("api") : std::move(e.source), kMaxLabelBytes);
  e.kind = cut_bytes(e.kind.empty() ? std::string("reported") : std::move(e.kind), kMaxLabelBytes);
  if (e.timestamp_ms <= 0) e.timestamp_ms = received_at;
  p.stack = stack ? std::move(stack) : prepare_stack(std::move(e.frames));
  e.frames = {};
  p.error_class = error_class_of(e.type);
  const auto& keys = p.stack->signature_frames;
  if (memo && !keys.empty() && memo->error_class == p.error_class) {
    p.signature = memo->signature;
  } else {
    p.signature = signature_hash(p.error_class, e.type, e.message, e.comm, keys);
    if (memo && !keys.empty()) {
      memo->error_class = p.error_class;
      memo->signature = p.signature;
    }
  }
  p.context_json = e.context.is_null() || e.context.empty() ? "{}" : dump(e.context);
  e.context = nullptr;  // serialized above; the JSON tree is not needed any more
  p.received_at = received_at;
  p.event = std::move(e);
  return p;
}

// A cached group: its counts, and whether its row in SQLite lags behind them.
struct CachedGroup {
  GroupCounts counts;
  bool dirty = false;
};

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
  std::vector<int64_t> group_ids;
  int64_t first_event_id = 0;  // the batch's events have consecutive ids from here
  std::vector<TouchedGroup> touched;
  // Stacks whose error_stacks id this write learned (stack_id set): cleared again if it is
  // rolled back, since the rows it inserted are then gone.
  std::vector<const PreparedStack*> new_stacks;
};

nlohmann::json counts_json(const GroupCounts& c) {
  return nlohmann::json{{"id", c.id},
                        {"count", c.count},
                        {"first_seen", c.first_seen},
                        {"last_seen", c.last_seen},
                        {"status", to_string(c.status)},
                        {"regressions", c.regressions}};
}

}  // namespace

struct ErrorService::State : std::enable_shared_from_this<ErrorService::State> {
  State(store::Store& s, std::shared_ptr<events::Hub> h, boost::asio::any_io_executor e, ErrorServiceConfig c)
      : store(s), hub(std::move(h)), executor(std::move(e)), config(c), memo(c.cached_stacks), cache(c.cached_groups) {}

  void ingest(store::StatementCache& sql, const PreparedBatch& events, BatchOutcome& out);
  void ingest_events(store::StatementCache& sql, const PreparedBatch& events, BatchOutcome& out);
  void after_commit(BatchOutcome& outcome);
  // After notify: the committed batch's events join the history.
  void remember(const PreparedBatch& events, const BatchOutcome& outcome);
  void forget(const BatchOutcome& outcome);
  static void forget_new_stacks(const BatchOutcome& outcome) {
    for (const PreparedStack* stack : outcome.new_stacks) stack->stack_id.store(0, std::memory_order_relaxed);
  }
  // Group rows (see error_service.hpp, "Group rows are written lazily"); store thread only,
  // inside a write. settle_rows: after a start or a failure, fold the unfolded events into the
  // rows so that rows (and the cache read from them) are exact again. flush_rows: write every
  // dirty row and move the watermark up to the last event id. drop_rows: forget the cache and
  // what it knew; the next settle_rows rebuilds from SQLite (used after any failed write).
  void settle_rows(store::StatementCache& sql);
  void flush_rows(store::StatementCache& sql);
  void drop_rows();
  void cache_put(store::StatementCache& sql, const std::string& signature, CachedGroup group);
  void schedule_publish();  // mutex held
  void publish();

  store::Store& store;
  std::shared_ptr<events::Hub> hub;
  boost::asio::any_io_executor executor;
  const ErrorServiceConfig config;
  // The parse thread, which allocated every event of a body: committed batches are freed there
  // (see submit). Empty until the service's constructor sets it.
  boost::asio::any_io_executor parser;

  // Parse thread only (record_body): frames texts seen in bodies -> their prepared stacks, and
  // how many of its lookups the metrics have been told about.
  StackMemo memo;
  uint64_t memo_hits_reported = 0, memo_misses_reported = 0;
  void report_memo() {
    auto& m = error_metrics();
    m.stack_memo_hits.inc(memo.hits() - memo_hits_reported);
    m.stack_memo_misses.inc(memo.misses() - memo_misses_reported);
    memo_hits_reported = memo.hits();
    memo_misses_reported = memo.misses();
    m.stack_memo_entries.set(static_cast<double>(memo.size()));
    m.stack_memo_bytes.set(static_cast<double>(memo.bytes()));
  }

  // Store thread only.
  LruMap<CachedGroup> cache;
  bool rows_unsettled = true;  // start, or a failed write: fold before trusting rows or cache
  int64_t fold_watermark = 0;  // every row counts every event with an id up to this
  int64_t next_event_id = 1;   // valid while !rows_unsettled
  std::chrono::steady_clock::time_point last_flush = std::chrono::steady_clock::now();

  // Shared between the store thread (after commits) and readers / the publisher.
  mutable std::mutex mutex;
  std::deque<EventSummary> history;
  std::map<int64_t, nlohmann::json> pending_created;  // id -> the new group
  std::map<int64_t, GroupCounts> pending_updated;     // id -> latest counts
  std::vector<nlohmann::json> pending_reopened;
  bool publish_scheduled = false;
  std::chrono::steady_clock::time_point last_publish{};

  std::mutex observer_mutex;
  std::shared_ptr<const GroupObserver> observer;
  void notify(const BatchOutcome& outcome);

  std::atomic<int> bodies_in_flight{0};
  std::atomic<uint64_t> events_recorded{0}, events_failed{0}, groups_created{0}, regressions{0};
  std::atomic<uint64_t> cache_hits{0}, cache_misses{0};
  std::atomic<std::size_t> cached_groups{0};
};

void ErrorService::State::settle_rows(store::StatementCache& sql) {
  if (!rows_unsettled) return;
  cache.clear();
  cached_groups.store(0, std::memory_order_relaxed);
  fold_watermark = select_fold_watermark(sql);
  const std::size_t folded = fold_unfolded_events(sql, fold_watermark);
  // Ids only grow: never at or below the watermark, even if the archiver emptied the table's
  // top (SQLite alone would hand out max(id) + 1 again).
  next_event_id = std::max(select_max_event_id(sql), fold_watermark) + 1;
  if (fold_watermark != next_event_id - 1) {
    fold_watermark = next_event_id - 1;
    store_fold_watermark(sql, fold_watermark);
  }
  if (folded > 0) spdlog::info("errors: brought {} group rows up to date from their events", folded);
  rows_unsettled = false;
  last_flush = std::chrono::steady_clock::now();
}

void ErrorService::State::flush_rows(store::StatementCache& sql) {
  settle_rows(sql);
  cache.for_each([&](const std::string&, CachedGroup& g) {
    if (!g.dirty) return;
    update_group_counts(sql, g.counts);
    g.dirty = false;
  });
  if (fold_watermark != next_event_id - 1) {
    fold_watermark = next_event_id - 1;
    store_fold_watermark(sql, fold_watermark);
  }
  last_flush = std::chrono::steady_clock::now();
}

void ErrorService::State::drop_rows() {
  cache.clear();
  cached_groups.store(0, std::memory_order_relaxed);
  rows_unsettled = true;
}

void ErrorService::State::cache_put(store::StatementCache& sql, const std::string& signature, CachedGroup group) {
  // A dirty group about to be evicted is written first: only the cache knew its counts.
  if (!cache.contains(signature) && cache.size() >= cache.capacity()) {
    if (CachedGroup* oldest = cache.least_recent_value(); oldest && oldest->dirty) {
      update_group_counts(sql, oldest->counts);
      oldest->dirty = false;
    }
  }
  cache.put(signature, std::move(group));
}

void ErrorService::State::ingest(store::StatementCache& sql, const PreparedBatch& events, BatchOutcome& out) {
  try {
    ingest_events(sql, events, out);
  } catch (...) {
    // This write is rolled back (alone or with its transaction); whatever the cache learned or
    // wrote in it is suspect. The next write rebuilds from what SQLite actually holds.
    drop_rows();
    forget_new_stacks(out);
    throw;
  }
}

void ErrorService::State::ingest_events(store::StatementCache& sql, const PreparedBatch& events, BatchOutcome& out) {
  out = BatchOutcome{};
  settle_rows(sql);
  out.group_ids.reserve(events.size());
  out.first_event_id = next_event_id;
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
    const std::string& signature = p.signature;
    std::size_t at;
    if (auto it = index.find(signature); it != index.end()) {
      at = it->second;
    } else {
      TouchedGroup t;
      t.signature = signature;
      t.first = &p;
      if (const CachedGroup* cached = cache.find(signature)) {
        t.counts = cached->counts;
        cache_hits.fetch_add(1, std::memory_order_relaxed);
      } else if (auto stored = select_group_counts(sql, signature)) {
        t.counts = *stored;
        cache_misses.fetch_add(1, std::memory_order_relaxed);
      } else {
        cache_misses.fetch_add(1, std::memory_order_relaxed);
        t.counts.id = insert_group(sql, NewGroupRow{signature, p.error_class, p.event.type, p.event.message,
                                                    stack_of(p), p.stack->signature_frames_json, p.received_at});
        t.counts.first_seen = t.counts.last_seen = t.counts.status_changed_at = p.received_at;
        t.created = true;
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
    }
    ++g.count;
    g.first_seen = std::min(g.first_seen, p.received_at);
    g.last_seen = std::max(g.last_seen, p.received_at);
    const int64_t stack_id = stack_of(p);
    const int64_t event_id = next_event_id++;
    rows.push_back(EventRow{event_id, g.id, g.last_event_id, p.received_at, p.event.timestamp_ms, p.event.source,
                            p.event.kind, p.event.type, p.event.message, p.event.pid, p.event.comm, stack_id,
                            p.context_json});
    g.last_event_id = event_id;
    out.group_ids.push_back(g.id);
  }
  // Only now, every statement done: the cache shows this batch (a throw above drops it; so
  // does a failed COMMIT, in forget()). A reopened group's row is written at once: its status
  // must not wait for a flush (the fold after a crash restores counts, not statuses).
  insert_events(sql, rows);
  for (const auto& t : out.touched) {
    if (t.reopened) update_group_counts(sql, t.counts);
    cache_put(sql, t.signature, CachedGroup{t.counts, !t.reopened});
  }
  cached_groups.store(cache.size(), std::memory_order_relaxed);
  if (std::chrono::steady_clock::now() - last_flush >= kGroupFlushInterval) flush_rows(sql);
}

void ErrorService::State::forget(const BatchOutcome& outcome) {
  // The database rolled back what the cache may already show, and perhaps flushes of other
  // groups: rebuild from SQLite on the next write.
  drop_rows();
  forget_new_stacks(outcome);
}

void ErrorService::State::after_commit(BatchOutcome& outcome) {
  events_recorded.fetch_add(outcome.group_ids.size(), std::memory_order_relaxed);
  auto& m = error_metrics();
  m.events_recorded.inc(outcome.group_ids.size());
  std::lock_guard lock(mutex);
  for (const auto& t : outcome.touched) {
    if (t.created) {
      groups_created.fetch_add(1, std::memory_order_relaxed);
      m.groups_created.inc();
      nlohmann::json g = counts_json(t.counts);
      g["signature"] = t.signature;
      g["error_class"] = t.first->error_class;
      g["type"] = t.first->event.type;
      g["message"] = t.first->event.message;
      g["class"] = nullptr;
      g["confidence"] = nullptr;
      pending_created[t.counts.id] = std::move(g);
    } else if (auto created = pending_created.find(t.counts.id); created != pending_created.end()) {
      // Created earlier in this publishing window: its announcement carries the latest counts.
      const nlohmann::json latest = counts_json(t.counts);
      for (const auto& [key, value] : latest.items()) created->second[key] = value;
    } else {
      pending_updated[t.counts.id] = t.counts;
    }
    if (t.reopened) {
      regressions.fetch_add(1, std::memory_order_relaxed);
      m.regressions.inc();
      nlohmann::json r = counts_json(t.counts);
      r["signature"] = t.signature;
      pending_reopened.push_back(std::move(r));
    }
  }
  schedule_publish();
}

void ErrorService::State::remember(const PreparedBatch& events, const BatchOutcome& outcome) {
  // Only the batch's last history_events events would stay in the history. Copied, not moved:
  // observers may share these events.
  const std::size_t from = events.size() > config.history_events ? events.size() - config.history_events : 0;
  std::lock_guard lock(mutex);
  for (std::size_t i = from; i < events.size(); ++i) {
    const PreparedEvent& p = *events[i];
    history.push_back(EventSummary{outcome.first_event_id + static_cast<int64_t>(i), outcome.group_ids[i], p.received_at,
                                   p.event.timestamp_ms, p.event.source, p.event.kind, p.event.type, p.event.message,
                                   p.event.pid, p.event.comm});
    if (history.size() > config.history_events) history.pop_front();
  }
}

void ErrorService::State::notify(const BatchOutcome& outcome) {
  std::shared_ptr<const GroupObserver> o;
  {
    std::lock_guard lock(observer_mutex);
    o = observer;
  }
  if (!o || outcome.touched.empty()) return;
  std::vector<GroupChange> changes;
  changes.reserve(outcome.touched.size());
  for (const auto& t : outcome.touched) {
    const PreparedEvent& named = t.created ? *t.first : *t.last;
    const std::shared_ptr<const PreparedEvent>& latest = *t.last_owner;
    // Aliasing pointers: each shares ownership of the whole event, or of its stack.
    changes.push_back(GroupChange{t.counts.id, t.created, t.signature, t.first->error_class,
                                  named.event.type, named.event.message,
                                  std::shared_ptr<const ErrorEvent>(latest, &latest->event),
                                  std::shared_ptr<const std::vector<std::string>>(latest->stack, &latest->stack->signature_frames),
                                  std::shared_ptr<const std::string>(latest->stack, &latest->stack->frames_json),
                                  std::shared_ptr<const std::string>(latest, &latest->context_json)});
  }
  (*o)(changes);
}

void ErrorService::State::schedule_publish() {
  if (publish_scheduled) return;
  if (pending_created.empty() && pending_updated.empty() && pending_reopened.empty()) return;
  publish_scheduled = true;
  // Leading edge after a quiet period, then at most once per interval.
  const auto due = last_publish + config.publish_interval;
  const auto now = std::chrono::steady_clock::now();
  const auto delay = due > now ? due - now : std::chrono::steady_clock::duration::zero();
  auto timer = std::make_shared<boost::asio::steady_timer>(executor, delay);
  std::weak_ptr<State> weak = weak_from_this();
  timer->async_wait([weak, timer](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->publish();
  });
}

void ErrorService::State::publish() {
  std::map<int64_t, nlohmann::json> created;
  std::map<int64_t, GroupCounts> updated;
  std::vector<nlohmann::json> reopened;
  {
    std::lock_guard lock(mutex);
    created.swap(pending_created);
    updated.swap(pending_updated);
    reopened.swap(pending_reopened);
    publish_scheduled = false;
    last_publish = std::chrono::steady_clock::now();
  }
  const std::string topic(events::kTopicErrors);
  // Chunks keep every WebSocket message small (clients' send queues are bounded in bytes).
  auto chunked = [&](const char* type, auto& items, auto&& convert) {
    auto groups = nlohmann::json::array();
    for (auto& item : items) {
      groups.push_back(convert(item));
      if (groups.size() == kGroupsPerHubEvent) {
        hub->publish(topic, type, nlohmann::json{{"groups", std::move(groups)}});
        groups = nlohmann::json::array();
      }
    }
    if (!groups.empty()) hub->publish(topic, type, nlohmann::json{{"groups", std::move(groups)}});
  };
  chunked("groups_created", created, [](auto& entry) { return std::move(entry.second); });
  chunked("groups_updated", updated, [](auto& entry) { return counts_json(entry.second); });
  for (auto& r : reopened) hub->publish(topic, "group_reopened", std::move(r));
}

ErrorService::ErrorService(store::Store& store, std::shared_ptr<events::Hub> hub, boost::asio::any_io_executor executor,
                           ErrorServiceConfig config)
    : state_(std::make_shared<State>(store, std::move(hub), std::move(executor), config)),
      parser_(std::make_unique<boost::asio::thread_pool>(1)) {
  state_->parser = parser_->get_executor();
  // Named for top -H and the per-thread CPU figures in BENCHMARKS.md.
  boost::asio::post(*parser_, [] { pthread_setname_np(pthread_self(), "dbg-err-parse"); });
  // Bring the group rows up to date with the events a kill -9 may have left unfolded, then warm
  // the cache and the history with what the last run left; queued before any other write, so
  // ingest sees a warm cache (groups not warmed are read back on demand anyway). A write: the
  // fold changes rows.
  std::weak_ptr<State> weak = state_;
  store.write(
      [weak](store::StatementCache& sql) {
        auto state = weak.lock();
        if (!state) return;
        try {
          state->settle_rows(sql);
          auto groups = select_recent_group_counts(sql, static_cast<int>(state->config.cached_groups));
          // Oldest first, so the most recently seen group ends up most recently used.
          for (auto it = groups.rbegin(); it != groups.rend(); ++it) state->cache.put(it->first, CachedGroup{it->second});
          state->cached_groups.store(state->cache.size(), std::memory_order_relaxed);
          auto events = select_recent_event_summaries(sql, static_cast<int>(state->config.history_events));
          std::lock_guard lock(state->mutex);
          state->history.assign(std::make_move_iterator(events.begin()), std::make_move_iterator(events.end()));
        } catch (...) {
          state->drop_rows();
          throw;
        }
      },
      [weak](Result<void> committed) {
        auto state = weak.lock();
        if (committed || !state) return;
        state->drop_rows();
        spdlog::error("errors: loading groups at start: {}", committed.error().message);
      });
}

ErrorService::~ErrorService() {
  parser_->join();  // bodies still being parsed are submitted first
  // Dirty group rows are written now, so the next start has nothing to fold (it would be exact
  // without this too).
  std::weak_ptr<State> weak = state_;
  state_->store.write(
      [weak](store::StatementCache& sql) {
        if (auto state = weak.lock()) state->flush_rows(sql);
      },
      [weak](Result<void> committed) {
        auto state = weak.lock();
        if (committed || !state) return;
        state->drop_rows();
        spdlog::error("errors: writing group rows at shutdown: {}", committed.error().message);
      });
  try {
    state_->store.flush();
  } catch (const std::exception& e) {
    spdlog::error("errors: waiting for queued writes: {}", e.what());
  }
}

namespace {

void submit(const std::shared_ptr<ErrorService::State>& state, std::vector<ErrorEvent> events,
            std::function<void(Result<std::vector<int64_t>>)> done);

}  // namespace

void ErrorService::record_batch(std::vector<ErrorEvent> events, std::function<void(Result<std::vector<int64_t>>)> done) {
  submit(state_, std::move(events), std::move(done));
}

namespace {

void log_failure(Result<std::vector<int64_t>> r) {
  if (!r) spdlog::error("errors: an event was not stored: {}", r.error().message);
}

void submit_prepared(const std::shared_ptr<ErrorService::State>& state, std::shared_ptr<PreparedBatch> prepared,
                     std::function<void(Result<std::vector<int64_t>>)> done) {
  auto outcome = std::make_shared<BatchOutcome>();
  // The write only borrows the batch: the callback below, which the store always calls after
  // it, owns it, so that the last reference is dropped where the callback decides.
  const PreparedBatch* batch = prepared.get();
  state->store.write(
      [state, batch, outcome](store::StatementCache& sql) { state->ingest(sql, *batch, *outcome); },
      [state, prepared = std::move(prepared), outcome, done = std::move(done)](Result<void> committed) mutable {
        if (!committed) {
          state->forget(*outcome);
          state->events_failed.fetch_add(prepared->size(), std::memory_order_relaxed);
          error_metrics().events_failed.inc(prepared->size());
          done(committed.error());
        } else {
          state->after_commit(*outcome);
          state->notify(*outcome);
          state->remember(*prepared, *outcome);
          done(std::move(outcome->group_ids));
        }
        // Tens of thousands of small blocks a batch, allocated by the parse thread: freed there
        // too, where glibc takes them back without locking that thread's arena from the store
        // thread (and the store thread goes on to the next COMMIT). Events an observer kept
        // (the analysis) are freed when it lets go.
        if (state->parser) {
          boost::asio::post(state->parser, [batch = std::move(prepared)]() mutable { batch.reset(); });
        }
      });
}

void submit(const std::shared_ptr<ErrorService::State>& state, std::vector<ErrorEvent> events,
            std::function<void(Result<std::vector<int64_t>>)> done) {
  const int64_t received_at = now_ms();
  auto prepared = std::make_shared<PreparedBatch>();
  prepared->reserve(events.size());
  for (auto& e : events) prepared->push_back(std::make_shared<const PreparedEvent>(prepare(std::move(e), received_at)));
  submit_prepared(state, std::move(prepared), std::move(done));
}

// A parsed body's events, prepared on the parse thread with its memo: an event whose frames
// text the parser found there shares that stack; the body's new texts are prepared once each
// and join the memo (after the loop, so that no entry the parser handed out is evicted while
// in use). The body that `parsed` views must still be alive.
std::shared_ptr<PreparedBatch> prepare_body(ErrorService::State& state, ParsedEvents parsed) {
  const int64_t received_at = now_ms();
  auto prepared = std::make_shared<PreparedBatch>();
  prepared->reserve(parsed.events.size());
  std::unordered_map<std::string_view, std::shared_ptr<const PreparedStack>> fresh;
  for (std::size_t i = 0; i < parsed.events.size(); ++i) {
    ErrorEvent& e = parsed.events[i];
    std::shared_ptr<const PreparedStack> stack;
    StackMemo::Entry* known = parsed.known[i];
    if (known) {
      stack = known->stack;
    } else if (auto it = fresh.find(parsed.frames_text[i]); it != fresh.end()) {
      stack = it->second;
    } else {
      stack = prepare_stack(std::move(e.frames));
      fresh.emplace(parsed.frames_text[i], stack);
    }
    prepared->push_back(std::make_shared<const PreparedEvent>(prepare(std::move(e), received_at, std::move(stack), known)));
  }
  for (auto& [text, stack] : fresh) {
    if (!text.empty()) state.memo.put(text, std::move(stack));
  }
  state.report_memo();
  return prepared;
}

}  // namespace

void ErrorService::record_body(std::string body, std::function<void(Result<std::vector<int64_t>>)> done) {
  auto state = state_;
  if (state->bodies_in_flight.fetch_add(1) >= kMaxBodiesInFlight) {
    state->bodies_in_flight.fetch_sub(1);
    return done(Error{"queue_full", "too many error reports in progress; retry shortly"});
  }
  // Counted until answered, parse failures included.
  auto answer = [state, done = std::move(done)](Result<std::vector<int64_t>> r) {
    state->bodies_in_flight.fetch_sub(1);
    done(std::move(r));
  };
  boost::asio::post(*parser_, [state, body = std::move(body), answer = std::move(answer)]() mutable {
    auto parsed = parse_error_body(body, &state->memo);
    if (!parsed) return answer(parsed.error());
    auto prepared = prepare_body(*state, std::move(parsed.value()));
    std::string().swap(body);  // up to 1 MiB: free it before the events wait for the disk
    submit_prepared(state, std::move(prepared), std::move(answer));
  });
}

void ErrorService::record(ErrorEvent event) {
  std::vector<ErrorEvent> one;
  one.push_back(std::move(event));
  submit(state_, std::move(one), log_failure);
}

ErrorRecorder ErrorService::recorder() {
  // Holds the service's state, not `this`: a producer may keep the recorder longer than the
  // service lives; events recorded after that are dropped.
  std::weak_ptr<State> weak = state_;
  return [weak](ErrorEvent event) {
    auto state = weak.lock();
    if (!state) return;
    std::vector<ErrorEvent> one;
    one.push_back(std::move(event));
    submit(state, std::move(one), log_failure);
  };
}

namespace {

// Reads groups as the API shows them; `unfolded` (when not null) is added to the rows read.
using GroupReader = std::function<std::optional<nlohmann::json>(
    store::StatementCache&, const std::unordered_map<int64_t, UnfoldedEvents>* unfolded)>;

// A read of group rows: a write job, because the dirty rows are flushed first (in the same
// transaction) so that what is read is exact; the answer is given once committed. If that
// write fails (a full disk), the rows are read without writing and the events they lack are
// added from SQLite (select_unfolded_events): exact counts still, though a group's list of
// latest events may then miss the newest ones.
void read_groups(const std::shared_ptr<ErrorService::State>& state, const char* what, GroupReader read,
                 std::string not_found, std::function<void(Result<nlohmann::json>)> done);

}  // namespace

void ErrorService::list_groups(GroupFilter filter, std::function<void(Result<nlohmann::json>)> done) {
  read_groups(
      state_, "listing groups",
      [filter = std::move(filter)](store::StatementCache& sql, const std::unordered_map<int64_t, UnfoldedEvents>* unfolded) {
        auto out = select_groups(sql, filter);
        if (unfolded && !unfolded->empty()) {
          auto& groups = out.at("groups");
          for (auto& g : groups) add_unfolded(g, *unfolded);
          std::stable_sort(groups.begin(), groups.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
            return a.value("last_seen", int64_t{0}) > b.value("last_seen", int64_t{0});
          });
        }
        return std::optional(std::move(out));
      },
      {}, std::move(done));
}

void ErrorService::get_group(int64_t id, int latest_events, std::function<void(Result<nlohmann::json>)> done) {
  read_groups(
      state_, "reading a group",
      [id, latest_events](store::StatementCache& sql, const std::unordered_map<int64_t, UnfoldedEvents>* unfolded) {
        auto group = select_group(sql, id);
        if (group && unfolded) add_unfolded(*group, *unfolded);
        if (group) (*group)["events"] = select_events(sql, id, latest_events);
        return group;
      },
      "no error group " + std::to_string(id), std::move(done));
}

namespace {

void read_groups(const std::shared_ptr<ErrorService::State>& state, const char* what, GroupReader read,
                 std::string not_found, std::function<void(Result<nlohmann::json>)> done) {
  auto out = std::make_shared<std::optional<nlohmann::json>>();
  state->store.write(
      [state, read, out](store::StatementCache& sql) {
        try {
          state->flush_rows(sql);
        } catch (...) {
          state->drop_rows();
          throw;
        }
        *out = read(sql, nullptr);
      },
      [state, what, read, out, not_found = std::move(not_found), done = std::move(done)](Result<void> committed) mutable {
        if (committed) {
          if (!*out) return done(Error{"not_found", not_found});
          return done(std::move(**out));
        }
        state->drop_rows();
        spdlog::warn("errors: {}: writing the group rows failed ({}); reading without writing", what,
                     committed.error().message);
        state->store.read([what, read = std::move(read), not_found = std::move(not_found),
                           done = std::move(done)](store::StatementCache& sql) {
          std::optional<nlohmann::json> group;
          try {
            const auto unfolded = select_unfolded_events(sql);
            group = read(sql, &unfolded);
          } catch (const std::exception& e) {
            spdlog::error("errors: {}: {}", what, e.what());
            return done(Error{"storage_error", "the error groups could not be read; see the server log"});
          }
          if (!group) return done(Error{"not_found", not_found});
          done(std::move(*group));
        });
      });
}

}  // namespace

void ErrorService::set_status(int64_t id, GroupStatus status, std::function<void(Result<nlohmann::json>)> done) {
  struct Change {
    std::optional<std::string> signature;
    std::optional<nlohmann::json> group;
  };
  auto change = std::make_shared<Change>();
  auto state = state_;
  const int64_t now = now_ms();
  state_->store.write(
      [state, change, id, status, now](store::StatementCache& sql) {
        try {
          state->flush_rows(sql);  // the answer shows exact counts
        } catch (...) {
          state->drop_rows();
          throw;
        }
        change->signature = update_group_status(sql, id, status, now);
        if (!change->signature) return;
        change->group = select_group(sql, id);
        // Last, after every statement: the cached counts follow the new status.
        if (CachedGroup* cached = state->cache.find(*change->signature)) {
          if (cached->counts.status != status) cached->counts.status_changed_at = now;
          cached->counts.status = status;
        }
      },
      [state, change, id, done = std::move(done)](Result<void> committed) {
        if (!committed) {
          state->drop_rows();
          return done(committed.error());
        }
        if (!change->signature || !change->group) return done(Error{"not_found", "no error group " + std::to_string(id)});
        state->hub->publish(std::string(events::kTopicErrors), "group_status",
                            nlohmann::json{{"id", id}, {"status", change->group->at("status")}});
        done(std::move(*change->group));
      });
}

nlohmann::json ErrorService::recent_events(std::size_t limit) const {
  auto out = nlohmann::json::array();
  std::lock_guard lock(state_->mutex);
  for (auto it = state_->history.rbegin(); it != state_->history.rend() && out.size() < limit; ++it) {
    out.push_back(to_json(*it));
  }
  return out;
}

void ErrorService::set_group_observer(GroupObserver observer) {
  auto o = observer ? std::make_shared<const GroupObserver>(std::move(observer)) : nullptr;
  std::lock_guard lock(state_->observer_mutex);
  state_->observer = std::move(o);
}

void ErrorService::forget_cached_groups(store::StatementCache& sql) {
  // Written before the cache goes (only it knew the dirty counts), in the archiver's transaction.
  // Dropped even on success: the cached last_event_id may name a folded event. If that
  // transaction rolls back, the next write folds the events back from what SQLite kept.
  try {
    state_->flush_rows(sql);
  } catch (...) {
    state_->drop_rows();
    throw;
  }
  state_->drop_rows();
}

void ErrorService::set_cache_capacity(std::size_t groups, std::size_t stacks) {
  std::weak_ptr<State> weak = state_;
  // The stack memo belongs to the parse thread.
  boost::asio::post(state_->parser, [weak, stacks] {
    if (auto state = weak.lock()) {
      state->memo.set_capacity(stacks);
      state->report_memo();
    }
  });
  state_->store.write(
      [weak, groups](store::StatementCache& sql) {
        auto state = weak.lock();
        if (!state) return;
        try {
          state->flush_rows(sql);  // no dirty group may be evicted unwritten
        } catch (...) {
          state->drop_rows();
          throw;
        }
        state->cache.set_capacity(groups);
        state->cached_groups.store(state->cache.size(), std::memory_order_relaxed);
      },
      [weak](Result<void> committed) {
        auto state = weak.lock();
        if (!committed && state) state->drop_rows();
      });
}

ErrorServiceStats ErrorService::stats() const {
  ErrorServiceStats s;
  const auto& st = *state_;
  s.events_recorded = st.events_recorded.load(std::memory_order_relaxed);
  s.events_failed = st.events_failed.load(std::memory_order_relaxed);
  s.groups_created = st.groups_created.load(std::memory_order_relaxed);
  s.regressions = st.regressions.load(std::memory_order_relaxed);
  s.cache_hits = st.cache_hits.load(std::memory_order_relaxed);
  s.cache_misses = st.cache_misses.load(std::memory_order_relaxed);
  s.cached_groups = st.cached_groups.load(std::memory_order_relaxed);
  std::lock_guard lock(st.mutex);
  s.history_size = st.history.size();
  return s;
}

}  // namespace dbg::coord::errors
