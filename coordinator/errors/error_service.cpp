// The facade: owns the parts (see error_service.hpp's last paragraph) and wires them to the
// threads: the parse thread prepares bodies, the store thread ingests and flushes, the caller's
// executor publishes. The counts it reports are error_metrics(), counted once here.
#include "coordinator/errors/error_service.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <mutex>
#include <pthread.h>

#include "coordinator/errors/batch_ingest.hpp"
#include "coordinator/errors/error_event_json.hpp"
#include "coordinator/errors/error_metrics.hpp"
#include "coordinator/errors/event_history.hpp"
#include "coordinator/errors/event_preparation.hpp"
#include "coordinator/errors/group_cache.hpp"
#include "coordinator/errors/group_publisher.hpp"
#include "coordinator/errors/group_reads.hpp"
#include "coordinator/errors/prepared_stack.hpp"
#include "coordinator/store/store.hpp"
#include "dbg/clock.hpp"

namespace dbg::coord::errors {

namespace {

// The process-wide counts when a service was made: stats() shows what it added since.
struct CountsAtStart {
  uint64_t events_recorded, events_failed, groups_created, regressions;
  static CountsAtStart now() {
    auto& m = error_metrics();
    return {m.events_recorded.value(), m.events_failed.value(), m.groups_created.value(), m.regressions.value()};
  }
};

}  // namespace

struct ErrorService::State {
  State(store::Store& s, std::shared_ptr<events::Hub> hub, boost::asio::any_io_executor executor, ErrorServiceConfig c)
      : store(s),
        config(c),
        memo(c.cached_stacks),
        cache(std::make_shared<GroupCache>(c.cached_groups)),
        publisher(std::make_shared<GroupPublisher>(std::move(hub), std::move(executor), c.publish_interval)),
        reads(s, cache, publisher),
        history(c.history_events) {}

  // After the store's answer to a batch's write (store thread).
  void committed(const PreparedBatch& events, BatchOutcome& outcome);
  void notify(const BatchOutcome& outcome);
  // Parse thread: tells the metrics about the memo's lookups since the last call.
  void report_memo();

  store::Store& store;
  const ErrorServiceConfig config;
  const CountsAtStart at_start = CountsAtStart::now();
  // The parse thread, which allocated every event of a body: committed batches are freed there
  // (see submit). Empty until the service's constructor sets it.
  boost::asio::any_io_executor parser;

  // Parse thread only (record_body): frames texts seen in bodies -> their prepared stacks, and
  // how many of its lookups the metrics have been told about.
  StackMemo memo;
  uint64_t memo_hits_reported = 0, memo_misses_reported = 0;

  const std::shared_ptr<GroupCache> cache;  // store thread only
  const std::shared_ptr<GroupPublisher> publisher;
  GroupReads reads;
  EventHistory history;

  std::mutex observer_mutex;
  std::shared_ptr<const GroupObserver> observer;
  std::shared_ptr<const BatchHook> batch_hook;  // under observer_mutex

  std::atomic<int> bodies_in_flight{0};
};

void ErrorService::State::committed(const PreparedBatch& events, BatchOutcome& outcome) {
  auto& m = error_metrics();
  m.events_recorded.inc(outcome.group_ids.size() - outcome.skipped);
  m.groups_created.inc(outcome.groups_created);
  m.regressions.inc(outcome.regressions);
  publisher->add(outcome);
  notify(outcome);
  history.remember(events, outcome);
}

void ErrorService::State::notify(const BatchOutcome& outcome) {
  std::shared_ptr<const GroupObserver> o;
  {
    std::lock_guard lock(observer_mutex);
    o = observer;
  }
  if (!o || outcome.touched.empty()) return;
  (*o)(group_changes(outcome));
}

void ErrorService::State::report_memo() {
  auto& m = error_metrics();
  m.stack_memo_hits.inc(memo.hits() - memo_hits_reported);
  m.stack_memo_misses.inc(memo.misses() - memo_misses_reported);
  memo_hits_reported = memo.hits();
  memo_misses_reported = memo.misses();
  m.stack_memo_entries.set(static_cast<double>(memo.size()));
  m.stack_memo_bytes.set(static_cast<double>(memo.bytes()));
}

namespace {

void log_failure(Result<std::vector<int64_t>> r) {
  if (!r) spdlog::error("errors: an event was not stored: {}", r.error().message);
}

void submit(const std::shared_ptr<ErrorService::State>& state, std::shared_ptr<PreparedBatch> prepared,
            std::function<void(Result<std::vector<int64_t>>)> done) {
  auto outcome = std::make_shared<BatchOutcome>();
  // The write only borrows the batch: the callback below, which the store always calls after
  // it, owns it, so that the last reference is dropped where the callback decides.
  const PreparedBatch* batch = prepared.get();
  state->store.write(
      [state, batch, outcome](store::StatementCache& sql) {
        ingest_batch(sql, *state->cache, *batch, *outcome);
        std::shared_ptr<const BatchHook> hook;
        {
          std::lock_guard lock(state->observer_mutex);
          hook = state->batch_hook;
        }
        if (hook) (*hook)(sql, *batch, *outcome);
      },
      [state, prepared = std::move(prepared), outcome, done = std::move(done)](Result<void> committed) mutable {
        if (!committed) {
          forget_batch(*state->cache, *outcome);
          error_metrics().events_failed.inc(prepared->size());
          done(committed.error());
        } else {
          state->committed(*prepared, *outcome);
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

void submit_one(const std::shared_ptr<ErrorService::State>& state, ErrorEvent event) {
  std::vector<ErrorEvent> one;
  one.push_back(std::move(event));
  submit(state, prepare_events(std::move(one), unix_time_ms()), log_failure);
}

}  // namespace

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
        // Ingest keys older than 30 days: a report read again after that is not expected.
        prune_ingest_keys(sql, unix_time_ms() - int64_t{30} * 24 * 3600 * 1000);
        state->cache->or_drop([&] {
          state->cache->warm(sql, static_cast<int>(state->config.cached_groups));
          state->history.assign(select_recent_event_summaries(sql, static_cast<int>(state->config.history_events)));
        });
      },
      [weak](Result<void> committed) {
        auto state = weak.lock();
        if (committed || !state) return;
        state->cache->drop();
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
        if (auto state = weak.lock()) state->cache->flush(sql);
      },
      [weak](Result<void> committed) {
        auto state = weak.lock();
        if (committed || !state) return;
        state->cache->drop();
        spdlog::error("errors: writing group rows at shutdown: {}", committed.error().message);
      });
  try {
    state_->store.flush();
  } catch (const std::exception& e) {
    spdlog::error("errors: waiting for queued writes: {}", e.what());
  }
}

void ErrorService::record_batch(std::vector<ErrorEvent> events, std::function<void(Result<std::vector<int64_t>>)> done) {
  submit(state_, prepare_events(std::move(events), unix_time_ms()), std::move(done));
}

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
    auto prepared = prepare_body(state->memo, std::move(parsed.value()), unix_time_ms());
    state->report_memo();
    std::string().swap(body);  // up to 1 MiB: free it before the events wait for the disk
    submit(state, std::move(prepared), std::move(answer));
  });
}

void ErrorService::record(ErrorEvent event) { submit_one(state_, std::move(event)); }

ErrorRecorder ErrorService::recorder() {
  // Holds the service's state, not `this`: a producer may keep the recorder longer than the
  // service lives; events recorded after that are dropped.
  std::weak_ptr<State> weak = state_;
  return [weak](ErrorEvent event) {
    if (auto state = weak.lock()) submit_one(state, std::move(event));
  };
}

void ErrorService::list_groups(GroupFilter filter, std::function<void(Result<nlohmann::json>)> done) {
  state_->reads.list(std::move(filter), std::move(done));
}

void ErrorService::get_group(int64_t id, int latest_events, std::function<void(Result<nlohmann::json>)> done) {
  state_->reads.get(id, latest_events, std::move(done));
}

void ErrorService::set_status(int64_t id, GroupStatus status, std::function<void(Result<nlohmann::json>)> done) {
  state_->reads.set_status(id, status, std::move(done));
}

nlohmann::json ErrorService::recent_events(std::size_t limit) const { return state_->history.recent(limit); }

void ErrorService::set_group_observer(GroupObserver observer) {
  auto o = observer ? std::make_shared<const GroupObserver>(std::move(observer)) : nullptr;
  std::lock_guard lock(state_->observer_mutex);
  state_->observer = std::move(o);
}

void ErrorService::set_batch_hook(BatchHook hook) {
  auto h = hook ? std::make_shared<const BatchHook>(std::move(hook)) : nullptr;
  std::lock_guard lock(state_->observer_mutex);
  state_->batch_hook = std::move(h);
}

void ErrorService::forget_cached_groups(store::StatementCache& sql) {
  // Written before the cache goes (only it knew the dirty counts), in the archiver's transaction.
  // Dropped even on success: the cached last_event_id may name a folded event. If that
  // transaction rolls back, the next write folds the events back from what SQLite kept.
  state_->cache->flush_or_drop(sql);
  state_->cache->drop();
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
        if (auto state = weak.lock()) state->cache->set_capacity(sql, groups);
      },
      [weak](Result<void> committed) {
        auto state = weak.lock();
        if (!committed && state) state->cache->drop();
      });
}

ErrorServiceStats ErrorService::stats() const {
  const auto& m = error_metrics();
  const CountsAtStart& start = state_->at_start;
  const GroupCacheStats cache = state_->cache->stats();
  ErrorServiceStats s;
  s.events_recorded = m.events_recorded.value() - start.events_recorded;
  s.events_failed = m.events_failed.value() - start.events_failed;
  s.groups_created = m.groups_created.value() - start.groups_created;
  s.regressions = m.regressions.value() - start.regressions;
  s.cache_hits = cache.hits;
  s.cache_misses = cache.misses;
  s.cached_groups = cache.size;
  s.history_size = state_->history.size();
  return s;
}

}  // namespace dbg::coord::errors
