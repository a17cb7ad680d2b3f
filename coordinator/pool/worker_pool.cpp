#include "coordinator/pool/worker_pool.hpp"

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <deque>
#include <mutex>

#include "coordinator/logging/log.hpp"
#include "coordinator/pool/worker_process.hpp"
#include "dbg/protocol.hpp"

namespace dbg::coord::pool {

namespace {

struct QueuedJob {
  Job job;
  WorkerPool::Done done;         // one of these two is set
  WorkerPool::RawDone raw_done;
};

}  // namespace

// Everything below runs on `strand`, except the atomics/mutex-guarded mirrors read by
// worker_pids(), stats() and free_queue_slots().
struct WorkerPool::State : std::enable_shared_from_this<WorkerPool::State> {
  struct Slot {
    std::shared_ptr<WorkerProcess> process;
    bool busy = false;
    std::string job_id;  // id of the job (or ping) in flight
    std::string tag;     // the job's cancel tag
    std::function<void(const nlohmann::json&)> on_progress;
    WorkerPool::Done done;
    WorkerPool::RawDone raw_done;
    std::unique_ptr<boost::asio::steady_timer> deadline;
    std::chrono::steady_clock::time_point idle_since = std::chrono::steady_clock::now();
    bool ping_in_flight = false;
  };

  State(boost::asio::io_context& io, PoolConfig c, std::function<void(const PoolEvent&)> e)
      : ioc(io), strand(boost::asio::make_strand(io.get_executor())), config(std::move(c)), on_event(std::move(e)),
        heartbeat(strand) {}

  boost::asio::io_context& ioc;
  boost::asio::strand<boost::asio::io_context::executor_type> strand;
  PoolConfig config;
  std::function<void(const PoolEvent&)> on_event;
  std::vector<std::shared_ptr<Slot>> slots;
  std::deque<QueuedJob> queue;
  uint64_t next_id = 1;
  bool stopped = false;
  boost::asio::steady_timer heartbeat;

  mutable std::mutex mirror_mutex;
  std::vector<int> pids_mirror;
  PoolStats stats_mirror;
  std::atomic<size_t> queued_or_reserved{0};

  void publish_mirror() {
    std::lock_guard lock(mirror_mutex);
    pids_mirror.clear();
    size_t busy = 0;
    for (const auto& s : slots) {
      pids_mirror.push_back(s->process->pid());
      busy += s->busy ? 1 : 0;
    }
    stats_mirror.workers = slots.size();
    stats_mirror.busy = busy;
    stats_mirror.queued = queue.size();
  }

  void emit(PoolEvent ev) {
    if (on_event) on_event(ev);
  }

  std::shared_ptr<Slot> start_worker() {
    auto slot = std::make_shared<Slot>();
    std::weak_ptr<State> weak = shared_from_this();
    std::weak_ptr<Slot> weak_slot = slot;
    try {
      slot->process = WorkerProcess::spawn(
          ioc, strand, config.worker_executable, "serve",
          [weak, weak_slot](std::string line) {
            if (auto self = weak.lock())
              if (auto s = weak_slot.lock()) self->on_line(s, line);
          },
          [weak, weak_slot](std::string reason) {
            if (auto self = weak.lock())
              if (auto s = weak_slot.lock()) self->on_exit(s, std::move(reason));
          });
    } catch (const std::exception& e) {
      DBG_LOG_ERROR("cannot start worker {}: {}", config.worker_executable, e.what());
      return nullptr;
    }
    slots.push_back(slot);
    {
      std::lock_guard lock(mirror_mutex);
      ++stats_mirror.workers_started;
    }
    emit({"worker_started", slot->process->pid(), ""});
    return slot;
  }

  void dispatch_queued() {
    while (!queue.empty() && !stopped) {
      std::shared_ptr<Slot> slot;
      for (auto& s : slots)
        if (!s->busy && s->process->alive()) {
          slot = s;
          break;
        }
      if (!slot && slots.size() < config.max_workers) slot = start_worker();
      if (!slot) break;
      QueuedJob q = std::move(queue.front());
      queue.pop_front();
      queued_or_reserved.fetch_sub(1);
      run_on(slot, std::move(q));
    }
    publish_mirror();
  }

  void run_on(const std::shared_ptr<Slot>& slot, QueuedJob q) {
    slot->busy = true;
    slot->job_id = "j" + std::to_string(next_id++);
    slot->done = std::move(q.done);
    slot->raw_done = std::move(q.raw_done);
    slot->tag = q.job.tag;
    slot->on_progress = std::move(q.job.on_progress);
    nlohmann::json request = {{"v", protocol::kVersion}, {"id", slot->job_id}, {"kind", q.job.kind},
                              {"pid", q.job.pid},        {"options", q.job.options},
                              {"deadline_ms", q.job.deadline.count()}};
    slot->deadline = std::make_unique<boost::asio::steady_timer>(strand, q.job.deadline);
    std::weak_ptr<Slot> weak_slot = slot;
    slot->deadline->async_wait([weak_slot, ms = q.job.deadline.count()](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto s = weak_slot.lock()) s->process->kill("deadline_exceeded: no answer within " + std::to_string(ms) + " ms");
    });
    slot->process->send(protocol::dump(request));
  }

  void finish_job(const std::shared_ptr<Slot>& slot, Result<nlohmann::json> result) {
    if (slot->raw_done) {
      // A raw-result job answered through the parsed path (an error, or a line without the
      // exact prefix): hand its result over as text all the same.
      finish_raw(slot, result ? Result<std::string>(protocol::dump(result.value())) : Result<std::string>(result.error()));
      return;
    }
    auto done = std::move(slot->done);
    bool ok = static_cast<bool>(result);
    release(slot, ok);
    if (done) done(std::move(result));
  }

  void finish_raw(const std::shared_ptr<Slot>& slot, Result<std::string> result) {
    auto done = std::move(slot->raw_done);
    bool ok = static_cast<bool>(result);
    release(slot, ok);
    if (done) done(std::move(result));
  }

  // The slot is free again (its job answered or failed).
  void release(const std::shared_ptr<Slot>& slot, bool ok) {
    slot->done = nullptr;
    slot->raw_done = nullptr;
    slot->on_progress = nullptr;
    slot->tag.clear();
    slot->busy = false;
    slot->job_id.clear();
    if (slot->deadline) slot->deadline->cancel();
    slot->idle_since = std::chrono::steady_clock::now();
    std::lock_guard lock(mirror_mutex);
    ++(ok ? stats_mirror.jobs_done : stats_mirror.jobs_failed);
  }

  // Admission is decided synchronously (any thread), so that a caller can answer 503 at once.
  bool admit(QueuedJob q) {
    size_t before = queued_or_reserved.fetch_add(1);
    if (before >= config.max_queued_jobs) {
      queued_or_reserved.fetch_sub(1);
      return false;
    }
    boost::asio::post(strand, [self = shared_from_this(), q = std::move(q)]() mutable {
      if (self->stopped) {
        self->queued_or_reserved.fetch_sub(1);
        Error stopping{"shutting_down", "the coordinator is stopping"};
        if (q.raw_done) {
          q.raw_done(stopping);
        } else {
          q.done(stopping);
        }
        return;
      }
      self->queue.push_back(std::move(q));
      self->dispatch_queued();
    });
    return true;
  }

  void on_line(const std::shared_ptr<Slot>& slot, const std::string& line) {
    // Fast path: a snapshot's result line starts with exactly this envelope (the worker writes
    // it so), and the caller parses the result itself; nothing here needs to look inside.
    if (slot->busy && slot->raw_done && !line.empty() && line.back() == '}') {
      std::string prefix = protocol::result_line_prefix(slot->job_id);
      if (line.size() > prefix.size() + 1 && line.compare(0, prefix.size(), prefix) == 0) {
        finish_raw(slot, line.substr(prefix.size(), line.size() - prefix.size() - 1));
        dispatch_queued();
        return;
      }
    }
    auto parsed = protocol::parse_bounded_json(line, 256);
    if (!parsed || !parsed.value().is_object()) {
      slot->process->kill("worker_protocol_error: unparseable line");
      return;
    }
    auto& j = parsed.value();
    std::string type = j.value("type", "");
    std::string id = j.value("id", "");
    if (type == "hello") return;
    if (type == "pong" && slot->ping_in_flight && id == slot->job_id) {
      slot->ping_in_flight = false;
      slot->busy = false;
      slot->job_id.clear();
      if (slot->deadline) slot->deadline->cancel();
      slot->idle_since = std::chrono::steady_clock::now();
      dispatch_queued();
      return;
    }
    if (!slot->busy || id != slot->job_id) return;  // stale answer: ignore
    if (type == "progress") {
      // Progress does not finish the job; the deadline covers the whole job as given.
      if (slot->on_progress && j.contains("progress") && j["progress"].is_object()) slot->on_progress(j["progress"]);
      return;
    }
    if (type == "result") {
      finish_job(slot, std::move(parsed.value()["result"]));
    } else if (type == "error") {
      Error e;
      e.code = j.at("error").value("code", "worker_error");
      e.message = j.at("error").value("message", "");
      finish_job(slot, e);
    } else {
      return;
    }
    dispatch_queued();
  }

  void on_exit(const std::shared_ptr<Slot>& slot, std::string reason) {
    bool had_job = slot->busy && (slot->done || slot->raw_done);
    std::erase(slots, slot);
    {
      std::lock_guard lock(mirror_mutex);
      ++stats_mirror.workers_replaced;
    }
    if (!stopped) {
      DBG_LOG_WARN("worker {} replaced: {}", slot->process->pid(), reason);
      emit({"worker_replaced", slot->process->pid(), reason});
    }
    if (had_job) {
      std::string code = reason.rfind("deadline_exceeded", 0) == 0 ? "deadline_exceeded"
                         : reason.rfind("heartbeat_missed", 0) == 0 ? "heartbeat_missed"
                         : stopped                                   ? "shutting_down"
                                                                     : "worker_crashed";
      finish_job(slot, Error{code, reason});
    }
    dispatch_queued();
  }

  // Idle workers are pinged now and then: a worker that hangs between jobs is found before a
  // job is given to it.
  void schedule_heartbeat() {
    heartbeat.expires_after(config.heartbeat_interval);
    heartbeat.async_wait([weak = std::weak_ptr<State>(shared_from_this())](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self || self->stopped) return;
      auto now = std::chrono::steady_clock::now();
      for (auto& s : self->slots) {
        if (s->busy || now - s->idle_since < self->config.heartbeat_interval) continue;
        s->busy = true;
        s->ping_in_flight = true;
        s->job_id = "hb" + std::to_string(self->next_id++);
        s->deadline = std::make_unique<boost::asio::steady_timer>(self->strand, self->config.heartbeat_timeout);
        std::weak_ptr<Slot> ws = s;
        s->deadline->async_wait([ws](const boost::system::error_code& e) {
          if (e) return;
          if (auto slot = ws.lock()) slot->process->kill("heartbeat_missed: no pong");
        });
        s->process->send(protocol::dump({{"v", protocol::kVersion}, {"id", s->job_id}, {"kind", "ping"}}));
      }
      self->schedule_heartbeat();
    });
  }
};

WorkerPool::WorkerPool(boost::asio::io_context& ioc, PoolConfig config, std::function<void(const PoolEvent&)> on_event)
    : state_(std::make_shared<State>(ioc, std::move(config), std::move(on_event))) {
  boost::asio::dispatch(state_->strand, [s = state_] { s->schedule_heartbeat(); });
}

WorkerPool::~WorkerPool() { shutdown(); }

bool WorkerPool::submit(Job job, Done done) { return state_->admit(QueuedJob{std::move(job), std::move(done), nullptr}); }

bool WorkerPool::submit_raw(Job job, RawDone done) {
  return state_->admit(QueuedJob{std::move(job), nullptr, std::move(done)});
}

void WorkerPool::cancel(std::string tag) {
  if (tag.empty()) return;
  boost::asio::dispatch(state_->strand, [s = state_, tag = std::move(tag)] {
    for (auto it = s->queue.begin(); it != s->queue.end(); ++it) {
      if (it->job.tag != tag) continue;
      QueuedJob q = std::move(*it);
      s->queue.erase(it);
      s->queued_or_reserved.fetch_sub(1);
      s->publish_mirror();
      Error cancelled{"cancelled", "cancelled before it started"};
      if (q.raw_done) {
        q.raw_done(cancelled);
      } else {
        q.done(cancelled);
      }
      return;
    }
    for (auto& slot : s->slots) {
      if (!slot->busy || slot->tag != tag || slot->ping_in_flight) continue;
      slot->process->send(protocol::dump({{"v", protocol::kVersion},
                                          {"id", "c" + std::to_string(s->next_id++)},
                                          {"kind", "cancel"},
                                          {"job", slot->job_id}}));
      return;
    }
  });
}

size_t WorkerPool::free_queue_slots() const {
  size_t used = state_->queued_or_reserved.load();
  return used >= state_->config.max_queued_jobs ? 0 : state_->config.max_queued_jobs - used;
}

std::vector<int> WorkerPool::worker_pids() const {
  std::lock_guard lock(state_->mirror_mutex);
  return state_->pids_mirror;
}

PoolStats WorkerPool::stats() const {
  std::lock_guard lock(state_->mirror_mutex);
  return state_->stats_mirror;
}

void WorkerPool::shutdown() {
  boost::asio::dispatch(state_->strand, [s = state_] {
    if (s->stopped) return;
    s->stopped = true;
    s->heartbeat.cancel();
    auto queued = std::move(s->queue);
    s->queue.clear();
    for (auto& q : queued) {
      s->queued_or_reserved.fetch_sub(1);
      Error stopping{"shutting_down", "the coordinator is stopping"};
      if (q.raw_done) {
        q.raw_done(stopping);
      } else {
        q.done(stopping);
      }
    }
    auto slots = s->slots;
    for (auto& slot : slots) slot->process->kill("shutting_down");
  });
}

}  // namespace dbg::coord::pool
