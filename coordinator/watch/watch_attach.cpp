// Attaching pids to watches through the watcher, and saving watches (watch_manager_impl.hpp).
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "coordinator/events/hub.hpp"
#include "coordinator/store/store.hpp"
#include "coordinator/watch/watch_manager_impl.hpp"
#include "dbg/clock.hpp"

namespace dbg::coord::watch {

namespace {

// The watcher's error codes as API errors (api::error_response maps the codes to statuses).
Error api_error(const Error& error) {
  const std::string& code = error.code;
  const std::string& message = error.message;
  if (code == "process_gone") return Error{"not_found", message};
  if (code == "permission_denied" || code == "kernel_thread") return Error{"forbidden", message};
  if (code == "already_traced") return Error{"forbidden", message + " (another tracer holds it)"};
  if (code == "already_watched") return Error{"conflict", message};
  if (code == "bad_request") return Error{"bad_request", message};
  return Error{"internal", code + ": " + message};
}

}  // namespace

void WatchManager::Impl::attach(int pid, const std::string& id, std::function<void(Result<nlohmann::json>)> done,
                                uint64_t start_time) {
  pid_owner[pid] = id;
  auto it = watches.find(id);
  nlohmann::json options = it == watches.end() ? nlohmann::json::object() : it->second.options;
  auto self = shared_from_this();
  watcher->request("watch_add", pid, options, [self, pid, id, done, start_time](Result<nlohmann::json> answer) {
    auto owner = self->pid_owner.find(pid);
    bool still_ours = owner != self->pid_owner.end() && owner->second == id;
    auto w = self->watches.find(id);
    if (!answer) {
      const Error& error = answer.error();
      if (error.code == "watcher_crashed") {
        // Not the process's fault: the reservation stays, and the next watcher re-adds every
        // reserved pid (reattach_all). Only an API request waiting for this answer gives up.
        if (!done) return;
        if (still_ours) self->pid_owner.erase(owner);
        return done(Error{"queue_full", "the watcher is restarting; retry"});
      }
      if (still_ours) self->pid_owner.erase(owner);
      if (w != self->watches.end()) {
        w->second.pids.erase(pid);
        if (w->second.match) {
          // Not retried at every scan while the same process lives (0: unknown, retried).
          // Another tracer may be brief (a snapshot worker holds a process for microseconds):
          // already_traced is retried at the next scan.
          if (start_time != 0 && error.code != "already_traced") self->refused[pid] = start_time;
        } else if (w->second.status == "active" && !done) {
          // A resumed pid watch whose process cannot be watched any more.
          w->second.status = "ended";
          w->second.ended_reason = error.code;
          self->persist(w->second);
        }
      }
      if (done) done(api_error(error));
      return;
    }
    if (w == self->watches.end() || !still_ours) {
      // Deleted while attaching: let it go again.
      self->watcher->request("watch_remove", pid, nullptr, nullptr);
      if (done) done(Error{"not_found", "the watch was deleted"});
      return;
    }
    w->second.pids.insert(pid);
    if (done) return done(answer.value());
    self->hub.publish(kTopic, "watch_attached", {{"watch_id", id}, {"pid", pid}, {"comm", answer.value().value("comm", "")}});
  });
}

void WatchManager::Impl::reattach_all() {
  std::vector<std::pair<int, std::string>> attached(pid_owner.begin(), pid_owner.end());
  for (const auto& [pid, id] : attached) attach(pid, id, nullptr);
  hub.publish(kTopic, "watcher_restarted", {{"worker_pid", watcher->pid()}, {"rewatched", attached.size()}});
  spdlog::info("watcher replaced by pid {}, re-adding {} watched processes", watcher->pid(), attached.size());
}

void WatchManager::Impl::persist(const Watch& w, std::function<void(Result<void>)> done) {
  auto row = w.to_row();
  store.write([row](store::StatementCache& sql) { upsert_watch(sql, row, dbg::unix_time_ms()); },
              [self = shared_from_this(), done](Result<void> r) {
                if (!r) spdlog::error("saving a watch failed: {}", r.error().message);
                if (done) boost::asio::post(self->strand, [done, r] { done(r); });
              });
}

}  // namespace dbg::coord::watch
