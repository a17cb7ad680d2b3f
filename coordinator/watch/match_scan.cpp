// Match watches (watch_manager_impl.hpp): every scan_interval_ms, the process table (or /proc,
// without one) is read on the blocking pool and each allowed process whose comm or cmdline
// matches an active match watch, and that is neither watched nor refused already, is attached.
// The table may be a moment old and pids are reused: a candidate's start time is read again
// from /proc before it is attached, and one that changed waits for the next scan.
#include <set>

#include <boost/asio/post.hpp>

#include "coordinator/policy/target_policy.hpp"
#include "coordinator/procfs/proc_reader.hpp"
#include "coordinator/procfs/process_match.hpp"
#include "coordinator/watch/watch_manager_impl.hpp"

namespace dbg::coord::watch {

namespace asio = boost::asio;

namespace {

struct Candidate {
  int pid;
  uint64_t start_time;
  std::string watch_id;
};

// On the blocking pool: the allowed processes matching a pattern (the first pattern that
// matches wins), and every pid seen alive.
std::vector<Candidate> find_candidates(const std::vector<std::pair<std::string, std::regex>>& patterns,
                                       const policy::TargetPolicy& policy, const WatchManagerConfig& config,
                                       std::set<int>& alive) {
  std::vector<Candidate> found;
  for (const auto& p : config.list_processes ? config.list_processes() : procfs::read_all_processes()) {
    alive.insert(p.pid);
    for (const auto& [id, re] : patterns) {
      if (!procfs::matches_comm_or_cmdline(re, p)) continue;
      if (policy.check(p).allowed && procfs::read_start_time(p.pid) == p.start_time_ticks)
        found.push_back({p.pid, p.start_time_ticks, id});
      break;
    }
  }
  return found;
}

}  // namespace

void WatchManager::Impl::schedule_scan() {
  if (stopping) return;
  scan_timer.expires_after(std::chrono::milliseconds(config.scan_interval_ms));
  scan_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->scan_now();
  });
}

void WatchManager::Impl::scan_now() {
  if (stopping || scanning) return;
  std::vector<std::pair<std::string, std::regex>> patterns;
  for (const auto& [id, w] : watches) {
    // Core watches are the kernel's handler's (coordinator/crash/): nothing to attach.
    if (w.pattern && w.status == "active" && w.mode != "core") patterns.emplace_back(id, *w.pattern);
  }
  if (patterns.empty()) return schedule_scan();
  scanning = true;
  auto self = shared_from_this();
  asio::post(blocking, [self, patterns = std::move(patterns)] {
    std::set<int> alive;
    auto found = find_candidates(patterns, self->policy, self->config, alive);
    asio::post(self->strand, [self, found = std::move(found), alive = std::move(alive)] {
      self->scanning = false;
      // A refusal is remembered only while its process lives.
      for (auto it = self->refused.begin(); it != self->refused.end();)
        it = alive.count(it->first) ? std::next(it) : self->refused.erase(it);
      for (const auto& c : found) {
        if (self->pid_owner.count(c.pid)) continue;
        if (auto r = self->refused.find(c.pid); r != self->refused.end() && r->second == c.start_time) continue;
        auto w = self->watches.find(c.watch_id);
        if (w == self->watches.end() || w->second.status != "active") continue;
        self->attach(c.pid, c.watch_id, nullptr, c.start_time);
      }
      self->schedule_scan();
    });
  });
}

}  // namespace dbg::coord::watch
