// Start (watch_manager_impl.hpp): the persisted watches come back. A pid watch is resumed only
// if the same process (pid and start time) still runs and is still allowed; else it ends with
// "process_gone". Match watches resume as they were, and the first scan follows.
#include <set>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "coordinator/policy/target_policy.hpp"
#include "coordinator/procfs/proc_reader.hpp"
#include "coordinator/watch/watch_manager_impl.hpp"

namespace dbg::coord::watch {

namespace asio = boost::asio;

namespace {

// On the blocking pool: the ids of the active pid watches whose process still runs.
std::set<std::string> pid_watches_still_running(const std::vector<WatchRow>& rows, const policy::TargetPolicy& policy) {
  std::set<std::string> alive;
  for (const auto& row : rows) {
    if (row.kind != "pid" || row.status != "active") continue;
    int pid = row.body.value("pid", 0);
    auto sample = procfs::read_process(pid);
    if (sample && sample->start_time_ticks == row.body.value("start_time", uint64_t{0}) && policy.check(pid).allowed)
      alive.insert(row.id);
  }
  return alive;
}

}  // namespace

void WatchManager::Impl::resume(std::vector<WatchRow> rows) {
  auto self = shared_from_this();
  asio::post(blocking, [self, rows = std::move(rows)]() mutable {
    auto alive = pid_watches_still_running(rows, self->policy);
    asio::post(self->strand, [self, rows = std::move(rows), alive = std::move(alive)] {
      for (const auto& row : rows) {
        auto restored = Watch::from_row(row);
        if (!restored) continue;
        Watch& w = *restored;
        bool resume_pid = w.pid && w.status == "active" && alive.count(w.id);
        if (w.pid && w.status == "active" && !resume_pid) {
          w.status = "ended";
          w.ended_reason = "process_gone";
          self->persist(w);
        }
        std::string id = w.id;
        std::optional<int> pid = w.pid;
        self->watches[id] = std::move(w);
        if (resume_pid) self->attach(*pid, id, nullptr);
      }
      spdlog::info("resumed {} watches", rows.size());
      // Core watches: the handler re-installed with them (a SIGKILL'ed run left it installed,
      // and its saved previous core_pattern is kept); with none, a handler that run left is
      // uninstalled (core_pattern restored).
      self->sync_core_watches();
      self->loaded = true;
      for (auto& fn : std::exchange(self->deferred, {})) fn();
      self->scan_now();
    });
  });
}

}  // namespace dbg::coord::watch
