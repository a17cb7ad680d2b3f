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
#include "coordinator/pool/worker_channel.hpp"

namespace dbg::coord::pool {

namespace {

struct QueuedJob {
  Job job;
  WorkerPool::Done done;         // one of these two is set
  WorkerPool::RawDone raw_done;
};

// A job that never reached a worker (cancelled, or the pool stopping).
void fail_queued(QueuedJob& q, Error e) {
  if (q.raw_done) {
    q.raw_done(std::move(e));
  } else if (q.done) {
    q.done(std::move(e));
  }
}

}  // namespace

// Everything below runs on `strand`, except the atomics/mutex-guarded mirrors read by
// worker_pids(), stats() and free_queue_slots(). A job's `done` lives in its request on the
// worker's channel, which fails it when the worker ends.
struct WorkerPool::State : std::enable_shared_from_this<WorkerPool::State> {
  struct Slot {
    std::shared_ptr<WorkerChannel> channel;
    bool busy = false;
    std::string job_id;  // id of the job (or ping) in flight
    std::string tag;     // the job's cancel tag
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
      pids_mirror.push_back(s->channel->pid());
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
      // Unprompted lines (the worker's hello) carry nothing the pool needs.
      slot->channel = WorkerChannel::open(ioc, strand, {config.worker_executable, "serve", "j", true}, nullptr,
                                          [weak, weak_slot](const std::string& reason) {
                                            auto self = weak.lock();
                                            auto s = weak_slot.lock();
                                            if (!self || !s) return Error{"shutting_down", reason};
                                            return self->on_exit(s, reason);
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
    emit({"worker_started", slot->channel->pid(), ""});
    return slot;
  }

  void dispatch_queued() {
    while (!queue.empty() && !stopped) {
      std::shared_ptr<Slot> slot;
      for (auto& s : slots)
        if (!s->busy && s->channel->alive()) {
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

  // Wraps a job's done callback: the slot is released (if it still exists: a worker that ended
  // is gone from `slots` by the time its requests fail), the job counted, then the next one runs.
  template <typename Answer>
  std::function<void(Answer)> answer_to(const std::shared_ptr<Slot>& slot, std::function<void(Answer)> done) {
    return [weak = std::weak_ptr<State>(shared_from_this()), weak_slot = std::weak_ptr<Slot>(slot),
            done = std::move(done)](Answer result) {
      auto self = weak.lock();
      if (!self) return;
      bool ok = static_cast<bool>(result);
      if (auto s = weak_slot.lock()) self->release(s);
      {
        std::lock_guard lock(self->mirror_mutex);
        ++(ok ? self->stats_mirror.jobs_done : self->stats_mirror.jobs_failed);
      }
      if (done) done(std::move(result));
      self->dispatch_queued();
    };
  }

  void run_on(const std::shared_ptr<Slot>& slot, QueuedJob q) {
    slot->busy = true;
    slot->tag = q.job.tag;
    WorkerChannel::Request request;
    request.body = {{"kind", q.job.kind},
                    {"pid", q.job.pid},
                    {"options", q.job.options},
                    {"deadline_ms", q.job.deadline.count()}};
    request.on_progress = std::move(q.job.on_progress);
    if (q.raw_done) {
      request.on_raw_reply = answer_to<Result<std::string>>(slot, std::move(q.raw_done));
    } else {
      request.on_reply = answer_to<Result<nlohmann::json>>(slot, std::move(q.done));
    }
    arm_deadline(slot, q.job.deadline, "deadline_exceeded: no answer within " + std::to_string(q.job.deadline.count()) + " ms");
    slot->job_id = slot->channel->send(std::move(request));
  }

  // A worker that does not answer within `after` is killed with `reason` (its request then
  // fails with the code the reason starts with, on_exit).
  void arm_deadline(const std::shared_ptr<Slot>& slot, std::chrono::milliseconds after, std::string reason) {
    slot->deadline = std::make_unique<boost::asio::steady_timer>(strand, after);
    std::weak_ptr<Slot> weak_slot = slot;
    slot->deadline->async_wait([weak_slot, reason = std::move(reason)](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto s = weak_slot.lock()) s->channel->kill(reason);
    });
  }

  // The slot is free again (its job or ping answered).
  void release(const std::shared_ptr<Slot>& slot) {
    slot->tag.clear();
    slot->busy = false;
    slot->ping_in_flight = false;
    slot->job_id.clear();
    if (slot->deadline) slot->deadline->cancel();
    slot->idle_since = std::chrono::steady_clock::now();
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
        fail_queued(q, Error{"shutting_down", "the coordinator is stopping"});
        return;
      }
      self->queue.push_back(std::move(q));
      self->dispatch_queued();
    });
    return true;
  }

  // The worker ended. Returns the error its job (if any) fails with; the channel then fails it.
  Error on_exit(const std::shared_ptr<Slot>& slot, const std::string& reason) {
    std::erase(slots, slot);
    {
      std::lock_guard lock(mirror_mutex);
      ++stats_mirror.workers_replaced;
    }
    if (!stopped) {
      DBG_LOG_WARN("worker {} replaced: {}", slot->channel->pid(), reason);
      emit({"worker_replaced", slot->channel->pid(), reason});
    }
    std::string code = reason.rfind("deadline_exceeded", 0) == 0 ? "deadline_exceeded"
                       : reason.rfind("heartbeat_missed", 0) == 0 ? "heartbeat_missed"
                       : stopped                                   ? "shutting_down"
                                                                   : "worker_crashed";
    dispatch_queued();
    return Error{code, reason};
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
        self->ping(s);
      }
      self->schedule_heartbeat();
    });
  }

  void ping(const std::shared_ptr<Slot>& slot) {
    slot->busy = true;
    slot->ping_in_flight = true;
    arm_deadline(slot, config.heartbeat_timeout, "heartbeat_missed: no pong");
    WorkerChannel::Request request;
    request.body = {{"kind", "ping"}};
    // An answer frees the slot; no answer means the deadline kills the worker.
    request.on_reply = [weak = std::weak_ptr<State>(shared_from_this()),
                        weak_slot = std::weak_ptr<Slot>(slot)](Result<nlohmann::json>) {
      auto self = weak.lock();
      auto s = weak_slot.lock();
      if (!self || !s) return;
      self->release(s);
      self->dispatch_queued();
    };
    slot->job_id = slot->channel->send(std::move(request));
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
      fail_queued(q, Error{"cancelled", "cancelled before it started"});
      return;
    }
    for (auto& slot : s->slots) {
      if (!slot->busy || slot->tag != tag || slot->ping_in_flight) continue;
      WorkerChannel::Request request;
      request.body = {{"kind", "cancel"}, {"job", slot->job_id}};
      slot->channel->send(std::move(request));
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
      fail_queued(q, Error{"shutting_down", "the coordinator is stopping"});
    }
    auto slots = s->slots;
    for (auto& slot : slots) slot->channel->kill("shutting_down");
  });
}

}  // namespace dbg::coord::pool
