#include "coordinator/ranking/process_table.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <optional>
#include <set>
#include <unordered_map>

#include "coordinator/logging/log.hpp"
#include "coordinator/procfs/proc_connector.hpp"
#include "dbg/clock.hpp"
#include "dbg/unique_fd.hpp"

namespace dbg::coord::ranking {

namespace {

using Clock = std::chrono::steady_clock;
using Callback = std::function<void(std::shared_ptr<const TableSnapshot>)>;

// CPU time of the calling thread: what the table costs, whatever else the process does.
std::chrono::nanoseconds thread_cpu_time() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

bool readable_now(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & POLLIN) != 0;
}

}  // namespace

struct ProcessTable::Impl {
  Impl(ProcessTableConfig c, Ranker& r, std::atomic<bool>& ok)
      : config(std::move(c)), ranker(r), events_ok(ok), latest(std::make_shared<const TableSnapshot>(std::vector<EntryPtr>{}, TableInfo{})) {}

  ProcessTableConfig config;
  Ranker& ranker;
  std::atomic<bool>& events_ok;
  std::optional<procfs::ProcConnector> connector;
  UniqueFd wake{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
  std::jthread thread;
  std::atomic<bool> stopping{false};

  // The table thread's own state.
  std::unordered_map<int, EntryPtr> entries;
  std::set<int> dirty, gone;  // pids to re-read, pids whose process exited
  Clock::time_point apply_at{};
  Clock::time_point next_scan{};
  unsigned scans_since_full = 0;
  double scan_cost_ms = 0;   // moving average of a scan's CPU time
  double apply_cost_ms = 0;  // the same for applying a batch of events (mostly the publish)
  TableInfo info;
  bool resync = false;

  // Set before the socket is read and cleared once what was read is published, so a reader
  // that sees neither the flag nor a readable socket knows no event waits (when_current).
  std::atomic<bool> unapplied{false};

  mutable std::mutex snapshot_mutex;
  std::shared_ptr<const TableSnapshot> latest;

  std::mutex waiters_mutex;
  std::vector<Callback> waiters;

  void publish() {
    std::vector<EntryPtr> all;
    all.reserve(entries.size());
    for (const auto& [pid, e] : entries) all.push_back(e);
    ++info.generation;
    auto next = std::make_shared<const TableSnapshot>(std::move(all), info);
    std::lock_guard lock(snapshot_mutex);
    latest = std::move(next);
  }

  std::shared_ptr<const TableSnapshot> snapshot() const {
    std::lock_guard lock(snapshot_mutex);
    return latest;
  }

  void run_waiters() {
    std::vector<Callback> ready;
    {
      std::lock_guard lock(waiters_mutex);
      ready.swap(waiters);
    }
    if (ready.empty()) return;
    auto snap = snapshot();
    for (auto& done : ready) done(snap);
  }

  bool has_waiters() {
    std::lock_guard lock(waiters_mutex);
    return !waiters.empty();
  }

  void scan(bool whole) {
    const auto cpu_before = thread_cpu_time();
    const auto at = Clock::now();
    std::vector<procfs::ProcessSample> samples;
    const auto pids = procfs::list_process_ids(config.proc_root);
    samples.reserve(pids.size());
    for (int pid : pids) {
      if (!whole) {
        if (auto it = entries.find(pid); it != entries.end()) {
          procfs::ProcessSample s = it->second->ranked.process;
          if (procfs::refresh_from_stat(s, config.proc_root)) {
            samples.push_back(std::move(s));
            continue;
          }
        }
      }
      if (auto s = procfs::read_process(pid, config.proc_root)) samples.push_back(std::move(*s));
    }
    auto ranked = ranker.rank(samples, at);
    entries.clear();
    entries.reserve(ranked.size());
    for (auto& r : ranked) {
      int pid = r.process.pid;
      entries.emplace(pid, std::make_shared<const TableEntry>(std::move(r)));
    }
    // Events read before this scan are covered by it; those queued since are still queued.
    dirty.clear();
    gone.clear();
    ++info.scans;
    info.refreshed_at_ms = unix_time_ms();
    const double cost_ms = std::chrono::duration<double, std::milli>(thread_cpu_time() - cpu_before).count();
    info.refresh_cpu_ms = cost_ms;
    // The interval follows the average cost (whole reads included), so the budget holds over
    // time rather than per scan.
    scan_cost_ms = scan_cost_ms == 0 ? cost_ms : 0.8 * scan_cost_ms + 0.2 * cost_ms;
    auto interval = std::chrono::milliseconds(static_cast<long long>(scan_cost_ms / config.cpu_budget));
    interval = std::clamp(interval, config.min_refresh, std::max(config.min_refresh, config.max_refresh));
    info.refresh_interval_ms = interval.count();
    next_scan = Clock::now() + interval;
  }

  void scan_and_publish() {
    bool whole = resync || config.full_read_every <= 1 || ++scans_since_full >= config.full_read_every;
    if (whole) scans_since_full = 0;
    resync = false;
    scan(whole);
    publish();
  }

  // The pids the events named: read again (born, exec'ed, renamed, setuid) or dropped (exited).
  void apply_events() {
    const auto cpu_before = thread_cpu_time();
    const auto at = Clock::now();
    std::vector<procfs::ProcessSample> fresh;
    for (int pid : dirty) {
      if (auto s = procfs::read_process(pid, config.proc_root)) {
        fresh.push_back(std::move(*s));
      } else {
        entries.erase(pid);
      }
    }
    for (int pid : gone) {
      // Exited, unless a new process got the pid since (it is in `dirty` and was read).
      if (!dirty.count(pid)) entries.erase(pid);
    }
    info.events_applied += dirty.size() + gone.size();
    dirty.clear();
    gone.clear();
    if (!fresh.empty()) {
      for (auto& r : ranker.rank(fresh, at)) {
        int pid = r.process.pid;
        entries[pid] = std::make_shared<const TableEntry>(std::move(r));
      }
    }
    publish();
    const double cost_ms = std::chrono::duration<double, std::milli>(thread_cpu_time() - cpu_before).count();
    apply_cost_ms = apply_cost_ms == 0 ? cost_ms : 0.8 * apply_cost_ms + 0.2 * cost_ms;
  }

  // How long events wait for company before they are applied. A publish sorts the whole table
  // (~3 ms at 10,000 processes), and a busy host (a build: thousands of execs a minute) would
  // otherwise pay that every coalesce window: the wait grows so that applying events costs at
  // most config.event_budget of a core. Readers that need them sooner ask (when_current), and
  // are answered at once.
  Clock::duration apply_delay() const {
    auto by_cost = std::chrono::microseconds(static_cast<long long>(1000 * apply_cost_ms / config.event_budget));
    return std::clamp<Clock::duration>(by_cost, config.coalesce, std::chrono::seconds(5));
  }

  void read_events() {
    unapplied.store(true);
    bool first = dirty.empty() && gone.empty();
    auto drained = connector->drain([&](const procfs::ProcEvent& e) {
      if (e.kind == procfs::ProcEvent::Kind::exit) {
        gone.insert(e.pid);
        dirty.erase(e.pid);
      } else {
        dirty.insert(e.pid);
      }
    });
    if (drained.overflowed) {
      // Events were lost: only a scan knows what happened. Reading everything whole also
      // catches the execs and renames that were dropped.
      ++info.overflows;
      resync = true;
      DBG_LOG_WARN("process events overflowed (ENOBUFS): resyncing the process table with a full /proc scan");
    }
    if (first && (!dirty.empty() || !gone.empty())) apply_at = Clock::now() + apply_delay();
  }

  void loop() {
    while (!stopping.load()) {
      const bool pending = !dirty.empty() || !gone.empty();
      auto deadline = next_scan;
      if (pending) deadline = std::min(deadline, apply_at);
      if (resync) deadline = Clock::now();
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      int timeout = static_cast<int>(std::clamp<long long>(wait.count() + 1, 0, 60000));
      pollfd fds[2] = {{wake.get(), POLLIN, 0}, {connector ? connector->fd() : -1, POLLIN, 0}};
      int n = ::poll(fds, connector ? 2 : 1, timeout);
      if (stopping.load()) break;
      if (n > 0 && (fds[0].revents & POLLIN)) {
        std::uint64_t count;
        [[maybe_unused]] auto r = ::read(wake.get(), &count, sizeof count);
      }
      if (connector && n > 0 && (fds[1].revents & POLLIN)) read_events();
      const bool waiting = has_waiters();
      // A waiter asked for what the kernel queued before it asked: drain that too.
      if (waiting && connector) read_events();
      const auto now = Clock::now();
      if (resync || now >= next_scan) {
        scan_and_publish();
      } else if ((!dirty.empty() || !gone.empty()) && (now >= apply_at || waiting)) {
        apply_events();
      }
      if (dirty.empty() && gone.empty()) unapplied.store(false);
      run_waiters();
    }
    run_waiters();  // nobody is left waiting at the stop
  }
};

ProcessTable::ProcessTable(ProcessTableConfig config, std::vector<RankRule> rules)
    : ranker_(std::move(rules)), impl_(std::make_unique<Impl>(std::move(config), ranker_, events_ok_)) {}

ProcessTable::~ProcessTable() { stop(); }

void ProcessTable::start() {
  Impl& m = *impl_;
  if (m.thread.joinable()) return;
  if (m.config.proc_events) {
    // Subscribed before the first scan: a process born during the scan is told afterwards.
    auto connector = procfs::ProcConnector::open();
    if (connector) {
      m.connector.emplace(std::move(connector.value()));
      m.info.events = "proc_connector";
    } else {
      m.info.events = "unavailable";
      m.info.events_reason = connector.error().message;
      DBG_LOG_INFO("process events unavailable ({}): the process table relies on its /proc scans",
                   connector.error().message);
    }
  } else {
    m.info.events = "off";
  }
  events_ok_.store(m.connector.has_value());
  m.scan_and_publish();
  m.thread = std::jthread([&m] { m.loop(); });
}

void ProcessTable::stop() {
  Impl& m = *impl_;
  m.stopping.store(true);
  std::uint64_t one = 1;
  [[maybe_unused]] auto w = ::write(m.wake.get(), &one, sizeof one);
  if (m.thread.joinable()) m.thread.join();
}

std::shared_ptr<const TableSnapshot> ProcessTable::snapshot() const { return impl_->snapshot(); }

void ProcessTable::when_current(std::function<void(std::shared_ptr<const TableSnapshot>)> done) {
  Impl& m = *impl_;
  if (!m.connector || m.stopping.load() || !m.thread.joinable() ||
      (!m.unapplied.load() && !readable_now(m.connector->fd()))) {
    return done(m.snapshot());
  }
  {
    std::lock_guard lock(m.waiters_mutex);
    m.waiters.push_back(std::move(done));
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto w = ::write(m.wake.get(), &one, sizeof one);
}

std::shared_ptr<const TableSnapshot> ProcessTable::current() {
  struct Waiter {
    std::mutex mutex;
    std::condition_variable cv;
    std::shared_ptr<const TableSnapshot> snap;
    bool done = false;
  };
  auto waiter = std::make_shared<Waiter>();
  when_current([waiter](std::shared_ptr<const TableSnapshot> snap) {
    std::lock_guard lock(waiter->mutex);
    waiter->snap = std::move(snap);
    waiter->done = true;
    waiter->cv.notify_all();
  });
  std::unique_lock lock(waiter->mutex);
  // Bounded: a table thread stuck in a long scan must not hold a session forever; the latest
  // version is then the answer.
  if (!waiter->cv.wait_for(lock, std::chrono::seconds(1), [&] { return waiter->done; })) return snapshot();
  return waiter->snap;
}

}  // namespace dbg::coord::ranking
