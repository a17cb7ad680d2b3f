#include "coordinator/archive/archiver.hpp"

#include <boost/asio/steady_timer.hpp>
#include <limits>
#include <mutex>
#include <optional>
#include <vector>

#include "coordinator/events/hub.hpp"
#include "coordinator/events/topics.hpp"
#include "coordinator/logging/log.hpp"
#include "coordinator/metrics/registry.hpp"
#include "coordinator/store/statement.hpp"
#include "coordinator/store/store.hpp"
#include "dbg/clock.hpp"

namespace dbg::coord::archive {

namespace {

double ratio_of(int64_t raw, int64_t compressed) {
  return compressed > 0 ? static_cast<double>(raw) / static_cast<double>(compressed) : 0.0;
}

// Registered on first use (and at construction, so /metrics shows them at zero), in the order
// of the members. Each instrument's name stands next to its member, not in a parallel list.
struct ArchiveMetrics {
  metrics::Counter& runs =
      metrics::counter("dbgcoord_archive_runs_total", "Archive runs finished (scheduled and on demand).");
  metrics::Counter& failed_runs =
      metrics::counter("dbgcoord_archive_failed_runs_total", "Archive runs that stopped on a store error.");
  metrics::Counter& events =
      metrics::counter("dbgcoord_archived_events_total", "Raw error events folded into archives (and deleted).");
  metrics::Counter& raw_bytes =
      metrics::counter("dbgcoord_archive_raw_bytes_total", "Bytes of the raw event rows folded into archives.");
  metrics::Counter& compressed_bytes =
      metrics::counter("dbgcoord_archive_compressed_bytes_total",
                       "Bytes of compressed archive summaries written (a merged archive counts again).");
  metrics::Counter& created = metrics::counter("dbgcoord_archives_created_total", "Archive rows created.");
  metrics::Counter& merged = metrics::counter("dbgcoord_archives_merged_total",
                                              "Existing archive rows that took more events of their window.");
  metrics::Counter& pruned = metrics::counter(
      "dbgcoord_archives_pruned_total", "Archives deleted, oldest first, to keep the database under --max-db-mb.");
  metrics::Counter& pruned_events = metrics::counter("dbgcoord_archive_pruned_events_total",
                                                     "Events counted in the archives that the size cap deleted.");
  metrics::Histogram& duration =
      metrics::histogram("dbgcoord_archive_run_duration_seconds", "Wall time of an archive run, pruning included.",
                         metrics::Histogram::exponential(0.001, 4, 10));
  metrics::Gauge& rows = metrics::gauge("dbgcoord_archives", "Archive rows stored.");
  metrics::Gauge& stored_events = metrics::gauge("dbgcoord_archive_events", "Events the stored archives summarize.");
  metrics::Gauge& stored_raw =
      metrics::gauge("dbgcoord_archive_stored_raw_bytes", "Raw bytes of the events the stored archives replaced.");
  metrics::Gauge& stored_compressed =
      metrics::gauge("dbgcoord_archive_stored_compressed_bytes", "Compressed bytes of the stored archives.");
  metrics::Gauge& db_used = metrics::gauge("dbgcoord_database_used_bytes",
                                           "Bytes of live pages in the SQLite file, after the last archive run.");
  metrics::Gauge& db_max =
      metrics::gauge("dbgcoord_database_max_bytes", "The size cap (--max-db-mb) in bytes; 0 = none.");
};

ArchiveMetrics& archive_metrics() {
  static ArchiveMetrics m;
  return m;
}

// A run in progress.
struct Run {
  int64_t cutoff_ms = 0;
  std::chrono::steady_clock::time_point started;
  bool scheduled = false;
  ArchiveDelta folded;  // summed over chunks
  ArchiveDelta pruned;  // summed over pruning steps
  int64_t chunks = 0;
  DatabaseSize size;
  std::vector<Archiver::Done> waiters;
};

void add(ArchiveDelta& into, const ArchiveDelta& d) {
  into.events_folded += d.events_folded;
  into.archives_created += d.archives_created;
  into.archives_merged += d.archives_merged;
  into.raw_bytes_folded += d.raw_bytes_folded;
  into.compressed_bytes_written += d.compressed_bytes_written;
  into.rows += d.rows;
  into.events += d.events;
  into.raw_bytes += d.raw_bytes;
  into.compressed_bytes += d.compressed_bytes;
}

}  // namespace

struct Archiver::State : std::enable_shared_from_this<Archiver::State> {
  State(store::Store& s, std::shared_ptr<events::Hub> h, ArchiveConfig c, std::function<void(store::StatementCache&)> f)
      : store(s), hub(std::move(h)), config(c), on_folded(std::move(f)) {}

  void request(Done done, bool scheduled);
  void start_run(std::vector<Done> waiters, bool scheduled);  // mutex not held
  void next_chunk();
  void prune_step();
  void finish(std::optional<Error> error);
  void apply_gauges(const ArchiveDelta& d);

  store::Store& store;
  std::shared_ptr<events::Hub> hub;
  const ArchiveConfig config;
  std::function<void(store::StatementCache&)> on_folded;

  mutable std::mutex mutex;
  std::optional<Run> run;            // the run in progress
  std::vector<Done> next_waiters;    // requests that arrived during it
  bool stopping = false;
  std::optional<nlohmann::json> last_report;
};

void Archiver::State::request(Done done, bool scheduled) {
  std::vector<Done> waiters;
  {
    std::lock_guard lock(mutex);
    if (stopping) {
      if (done) done(Error{"shutting_down", "the coordinator is stopping"});
      return;
    }
    if (run) {
      // A tick during a run has nothing to add; a request waits for a run of its own.
      if (done) next_waiters.push_back(std::move(done));
      return;
    }
    if (done) waiters.push_back(std::move(done));
    run.emplace();
  }
  start_run(std::move(waiters), scheduled);
}

void Archiver::State::start_run(std::vector<Done> waiters, bool scheduled) {
  {
    std::lock_guard lock(mutex);
    run->cutoff_ms = unix_time_ms() - std::chrono::duration_cast<std::chrono::milliseconds>(config.after).count();
    run->started = std::chrono::steady_clock::now();
    run->scheduled = scheduled;
    run->waiters = std::move(waiters);
  }
  next_chunk();
}

void Archiver::State::next_chunk() {
  int64_t cutoff;
  {
    std::lock_guard lock(mutex);
    cutoff = run->cutoff_ms;
  }
  auto delta = std::make_shared<ArchiveDelta>();
  const int64_t window_ms = std::chrono::duration_cast<std::chrono::milliseconds>(config.window).count();
  store.write(
      [self = shared_from_this(), delta, cutoff, window_ms](store::StatementCache& sql) {
        *delta = archive_chunk(sql, cutoff, window_ms, self->config.chunk_events, unix_time_ms());
        if (delta->events_folded > 0 && self->on_folded) self->on_folded(sql);
      },
      [self = shared_from_this(), delta](Result<void> committed) {
        if (!committed) return self->finish(committed.error());
        auto& m = archive_metrics();
        m.events.inc(static_cast<uint64_t>(delta->events_folded));
        m.raw_bytes.inc(static_cast<uint64_t>(delta->raw_bytes_folded));
        m.compressed_bytes.inc(static_cast<uint64_t>(delta->compressed_bytes_written));
        m.created.inc(static_cast<uint64_t>(delta->archives_created));
        m.merged.inc(static_cast<uint64_t>(delta->archives_merged));
        self->apply_gauges(*delta);
        bool more, stopping;
        {
          std::lock_guard lock(self->mutex);
          add(self->run->folded, *delta);
          ++self->run->chunks;
          stopping = self->stopping;
          more = delta->more && !stopping;
        }
        if (more) return self->next_chunk();
        // Stopping: what is committed stays; the next start's run continues from there.
        if (stopping) return self->finish(std::nullopt);
        self->prune_step();
      });
}

void Archiver::State::prune_step() {
  auto delta = std::make_shared<ArchiveDelta>();
  auto size = std::make_shared<DatabaseSize>();
  const int64_t cap = config.max_db_bytes == 0 ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(config.max_db_bytes);
  store.write(
      [self = shared_from_this(), delta, size, cap](store::StatementCache& sql) {
        *delta = prune_oldest(sql, cap, self->config.prune_rows);
        *size = database_size(sql);
      },
      [self = shared_from_this(), delta, size, cap](Result<void> committed) {
        if (!committed) return self->finish(committed.error());
        auto& m = archive_metrics();
        m.db_used.set(static_cast<double>(size->used_bytes()));
        const int64_t pruned = -delta->rows;
        if (pruned > 0) {
          m.pruned.inc(static_cast<uint64_t>(pruned));
          m.pruned_events.inc(static_cast<uint64_t>(-delta->events));
          self->apply_gauges(*delta);
          DBG_LOG_WARN("archive: database over its cap of {} MiB: pruned the {} oldest archive(s) ({} events); {} MiB used now",
                       cap >> 20, pruned, -delta->events, size->used_bytes() >> 20);
        }
        bool more;
        {
          std::lock_guard lock(self->mutex);
          add(self->run->pruned, *delta);
          self->run->size = *size;
          more = delta->more && !self->stopping;
        }
        if (more) return self->prune_step();
        if (size->used_bytes() > cap) {
          DBG_LOG_WARN("archive: database uses {} MiB, over its cap of {} MiB, with no archive left to prune (raw events "
                       "and snapshots take the rest)",
                       size->used_bytes() >> 20, cap >> 20);
        }
        self->finish(std::nullopt);
      });
}

void Archiver::State::apply_gauges(const ArchiveDelta& d) {
  auto& m = archive_metrics();
  m.rows.add(static_cast<double>(d.rows));
  m.stored_events.add(static_cast<double>(d.events));
  m.stored_raw.add(static_cast<double>(d.raw_bytes));
  m.stored_compressed.add(static_cast<double>(d.compressed_bytes));
}

void Archiver::State::finish(std::optional<Error> error) {
  Run done_run;
  std::vector<Done> pending;
  bool stopped;
  {
    std::lock_guard lock(mutex);
    done_run = std::move(*run);
    run.reset();
    pending.swap(next_waiters);
    stopped = stopping;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - done_run.started).count();
  auto& m = archive_metrics();
  m.duration.observe(seconds);
  (error ? m.failed_runs : m.runs).inc();
  const auto& f = done_run.folded;
  nlohmann::json report{
      {"cutoff", done_run.cutoff_ms},
      {"scheduled", done_run.scheduled},
      {"events_folded", f.events_folded},
      {"archives_written", f.archives_created + f.archives_merged},
      {"archives_created", f.archives_created},
      {"archives_merged", f.archives_merged},
      {"raw_bytes", f.raw_bytes_folded},
      // Net growth of the stored archives: a merged archive counts by how much it grew, so a
      // window rewritten by several chunks is not counted several times.
      {"compressed_bytes", f.compressed_bytes},
      {"compressed_bytes_written", f.compressed_bytes_written},
      // What this run's events took raw over what archiving them added.
      {"ratio", f.compressed_bytes > 0 ? nlohmann::json(ratio_of(f.raw_bytes_folded, f.compressed_bytes))
                                       : nlohmann::json(nullptr)},
      {"chunks", done_run.chunks},
      {"archives_pruned", -done_run.pruned.rows},
      {"events_pruned", -done_run.pruned.events},
      {"database_used_bytes", done_run.size.used_bytes()},
      {"database_file_bytes", done_run.size.file_bytes()},
      {"max_database_bytes", config.max_db_bytes},
      {"seconds", seconds},
  };
  if (error) {
    DBG_LOG_ERROR("archive: run failed after {} chunk(s) ({} events folded): {}", done_run.chunks, f.events_folded,
                  error->message);
  } else if (f.events_folded > 0) {
    DBG_LOG_INFO("archive: folded {} events into {} archive write(s) ({} new archives), {} -> {} bytes, in {:.2f} s",
                 f.events_folded, f.archives_created + f.archives_merged, f.archives_created, f.raw_bytes_folded,
                 f.compressed_bytes, seconds);
  }
  if (!error) {
    std::lock_guard lock(mutex);
    last_report = report;
  }
  if (!error && (f.events_folded > 0 || done_run.pruned.rows != 0)) {
    hub->publish(std::string(events::kTopicArchive), "archive_run", report);
  }
  for (auto& w : done_run.waiters) {
    if (error) {
      w(*error);
    } else {
      w(report);
    }
  }
  if (pending.empty()) return;
  if (stopped) {
    for (auto& w : pending) w(Error{"shutting_down", "the coordinator is stopping"});
    return;
  }
  {
    std::lock_guard lock(mutex);
    run.emplace();
  }
  start_run(std::move(pending), false);
}

// The schedule's timer belongs to the Archiver, not to State: State may outlive the io_context
// (the store's last callbacks release it after the io threads stopped), a timer must not.
struct Archiver::Schedule {
  explicit Schedule(boost::asio::any_io_executor e) : timer(std::move(e)) {}
  std::mutex mutex;  // timer calls come from the io thread (ticks) and the stopping thread
  boost::asio::steady_timer timer;
  bool stopped = false;
};

void Archiver::arm() {
  std::lock_guard lock(schedule_->mutex);
  if (schedule_->stopped) return;
  schedule_->timer.expires_after(state_->config.interval);
  schedule_->timer.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    state_->request(nullptr, true);
    arm();
  });
}

Archiver::Archiver(store::Store& store, std::shared_ptr<events::Hub> hub, boost::asio::any_io_executor executor,
                   ArchiveConfig config, std::function<void(store::StatementCache&)> on_folded)
    : state_(std::make_shared<State>(store, std::move(hub), config, std::move(on_folded))),
      schedule_(std::make_unique<Schedule>(std::move(executor))) {
  archive_metrics().db_max.set(static_cast<double>(config.max_db_bytes));
}

Archiver::~Archiver() { stop(); }

void Archiver::start() {
  state_->store.read([weak = std::weak_ptr<State>(state_)](store::StatementCache& sql) {
    try {
      auto t = select_totals(sql);
      auto size = database_size(sql);
      auto& m = archive_metrics();
      m.rows.set(static_cast<double>(t.rows));
      m.stored_events.set(static_cast<double>(t.events));
      m.stored_raw.set(static_cast<double>(t.raw_bytes));
      m.stored_compressed.set(static_cast<double>(t.compressed_bytes));
      m.db_used.set(static_cast<double>(size.used_bytes()));
    } catch (const std::exception& e) {
      DBG_LOG_ERROR("archive: reading the archive totals: {}", e.what());
    }
  });
  arm();
}

void Archiver::stop() {
  {
    std::lock_guard lock(schedule_->mutex);
    schedule_->stopped = true;
    schedule_->timer.cancel();
  }
  std::lock_guard lock(state_->mutex);
  state_->stopping = true;
}

void Archiver::run_now(Done done) { state_->request(std::move(done), false); }

void Archiver::list(ArchiveFilter filter, Done done) {
  state_->store.read([filter, done = std::move(done)](store::StatementCache& sql) {
    std::optional<nlohmann::json> out;
    try {
      out = select_archives(sql, filter);
    } catch (const std::exception& e) {
      DBG_LOG_ERROR("archive: listing archives: {}", e.what());
    }
    if (!out) return done(Error{"storage_error", "the archives could not be read; see the server log"});
    done(std::move(*out));
  });
}

void Archiver::get(int64_t id, Done done) {
  state_->store.read([id, done = std::move(done)](store::StatementCache& sql) {
    std::optional<nlohmann::json> out;
    bool failed = false;
    try {
      out = select_archive(sql, id);
    } catch (const std::exception& e) {
      DBG_LOG_ERROR("archive: reading archive {}: {}", id, e.what());
      failed = true;
    }
    if (failed) return done(Error{"storage_error", "archive " + std::to_string(id) + " could not be read; see the server log"});
    if (!out) return done(Error{"not_found", "no archive " + std::to_string(id)});
    done(std::move(*out));
  });
}

void Archiver::add_stats(nlohmann::json& stats) const {
  auto& m = archive_metrics();
  const auto raw = static_cast<int64_t>(m.stored_raw.value());
  const auto compressed = static_cast<int64_t>(m.stored_compressed.value());
  stats["archive_compression_ratio"] = compressed > 0 ? nlohmann::json(ratio_of(raw, compressed)) : nlohmann::json(nullptr);
  nlohmann::json last;
  {
    std::lock_guard lock(state_->mutex);
    last = state_->last_report ? *state_->last_report : nlohmann::json(nullptr);
  }
  stats["archives"] = {{"rows", static_cast<int64_t>(m.rows.value())},
                       {"events", static_cast<int64_t>(m.stored_events.value())},
                       {"raw_bytes", raw},
                       {"compressed_bytes", compressed},
                       {"runs", m.runs.value()},
                       {"events_folded", m.events.value()},
                       {"archives_pruned", m.pruned.value()},
                       {"database_used_bytes", static_cast<int64_t>(m.db_used.value())},
                       {"max_database_bytes", state_->config.max_db_bytes},
                       {"last_run", std::move(last)}};
}

}  // namespace dbg::coord::archive
