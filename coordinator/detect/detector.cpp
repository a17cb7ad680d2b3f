#include "coordinator/detect/detector.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>

#include "coordinator/detect/busy_hang.hpp"
#include "coordinator/detect/thread_cpu.hpp"
#include "coordinator/detect/wait_graph.hpp"
#include "coordinator/pool/worker_pool.hpp"
#include "dbg/clock.hpp"
#include "dbg/protocol.hpp"
#include "dbg/snapshot_wire.hpp"

namespace dbg::coord::detect {

namespace asio = boost::asio;

// One process's checks: snapshot, wait, snapshot, ... then the analysis. Owned by the callbacks
// in flight (shared_ptr), so nothing outlives what it needs.
struct Detector::Run : std::enable_shared_from_this<Run> {
  Run(asio::any_io_executor io, asio::any_io_executor b, pool::WorkerPool& p, WatchedCapture w)
      : strand(asio::make_strand(io)), blocking(std::move(b)), pool(p), watched(std::move(w)), timer(strand) {}

  asio::strand<asio::any_io_executor> strand;
  asio::any_io_executor blocking;
  pool::WorkerPool& pool;
  WatchedCapture watched;  // empty once the watcher said it does not hold pid
  bool from_watcher = false;
  asio::steady_timer timer;
  int pid = 0;
  DetectOptions options;
  nlohmann::json worker_options;
  std::chrono::milliseconds deadline{30'000};
  Done done;
  std::vector<Snapshot> snapshots;
  CpuSample first_cpu, last_cpu;

  int wanted() const { return options.hang ? options.hang_snapshots : 1; }

  void start() {
    if (!options.hang) return take_snapshot();
    // CPU before the first snapshot, off the network threads.
    asio::post(blocking, [self = shared_from_this()] {
      self->first_cpu = sample_thread_cpu(self->pid);
      asio::post(self->strand, [self] { self->take_snapshot(); });
    });
  }

  void take_snapshot() {
    if (watched) {
      watched(pid, worker_options, deadline, [self = shared_from_this()](Result<Snapshot> r) {
        asio::post(self->strand, [self, r = std::move(r)]() mutable {
          if (!r && r.error().code == "not_watched") {
            self->watched = nullptr;  // not held by the watcher: a pool worker can seize it
            return self->take_snapshot();
          }
          if (r) self->from_watcher = true;
          self->on_snapshot(std::move(r));
        });
      });
      return;
    }
    pool::Job job;
    job.kind = "snapshot";
    job.pid = pid;
    job.options = worker_options;
    job.deadline = deadline;
    bool queued = pool.submit_raw(std::move(job), [self = shared_from_this()](Result<std::string> r) {
      asio::post(self->strand, [self, r = std::move(r)]() mutable { self->on_pool_snapshot(std::move(r)); });
    });
    if (!queued) done(Error{"queue_full", "the worker pool queue is full"});
  }

  void on_pool_snapshot(Result<std::string> result) {
    if (!result) return done(result.error());
    auto parsed = parse_snapshot_json(result.value(), protocol::kMaxJsonDepth);
    if (!parsed) return done(Error{"worker_protocol_error", parsed.error().message});
    on_snapshot(std::move(parsed.value()));
  }

  void on_snapshot(Result<Snapshot> result) {
    if (!result) return done(result.error());
    snapshots.push_back(std::move(result.value()));
    if (static_cast<int>(snapshots.size()) < wanted()) {
      timer.expires_after(std::chrono::milliseconds(options.hang_interval_ms));
      timer.async_wait([self = shared_from_this()](const boost::system::error_code&) { self->take_snapshot(); });
      return;
    }
    if (!options.hang) return finish();
    asio::post(blocking, [self = shared_from_this()] {
      self->last_cpu = sample_thread_cpu(self->pid);
      asio::post(self->strand, [self] { self->finish(); });
    });
  }

  void finish() {
    DetectOutcome out;
    out.snapshots = static_cast<int>(snapshots.size());
    out.from_watcher = from_watcher;
    if (options.deadlock) out.findings = find_deadlocks(snapshots.back());
    if (options.hang) {
      for (auto& f : find_busy_hangs(snapshots, first_cpu, last_cpu, options.hang_min_cpu)) out.findings.push_back(std::move(f));
    }
    out.snapshot = std::move(snapshots.back());
    done(std::move(out));
  }
};

Detector::Detector(asio::any_io_executor io, asio::any_io_executor blocking, pool::WorkerPool& pool,
                   errors::ErrorRecorder recorder)
    : io_(std::move(io)), blocking_(std::move(blocking)), pool_(pool), recorder_(std::move(recorder)) {}

void Detector::run(int pid, const DetectOptions& options, nlohmann::json worker_options, std::chrono::milliseconds deadline,
                   Done done) {
  auto run = std::make_shared<Run>(io_, blocking_, pool_, watched_capture_);
  run->pid = pid;
  run->options = options;
  run->worker_options = std::move(worker_options);
  run->deadline = deadline;
  run->done = std::move(done);
  asio::post(run->strand, [run] { run->start(); });
}

void Detector::report(const std::vector<Finding>& findings, int pid, const std::string& comm) const {
  if (!recorder_) return;
  const int64_t now_ms = unix_time_ms();
  for (const auto& f : findings) recorder_(to_error_event(f, pid, comm, now_ms));
}

}  // namespace dbg::coord::detect
