// Creating and deleting watches, as the API asks (watch_manager_impl.hpp).
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "coordinator/events/hub.hpp"
#include "coordinator/policy/target_policy.hpp"
#include "coordinator/procfs/proc_reader.hpp"
#include "coordinator/procfs/process_match.hpp"
#include "coordinator/store/store.hpp"
#include "coordinator/watch/watch_manager_impl.hpp"
#include "dbg/clock.hpp"

namespace dbg::coord::watch {

namespace asio = boost::asio;

void WatchManager::Impl::create_pid_watch(WatchRequest req, JsonDone done) {
  int pid = *req.pid;
  auto self = shared_from_this();
  // The policy and /proc reads run on the blocking pool, never on the network thread.
  asio::post(blocking, [self, req = std::move(req), pid, done = std::move(done)]() mutable {
    auto decision = self->policy.check(pid);
    auto sample = procfs::read_process(pid);
    asio::post(self->strand, [self, req = std::move(req), pid, decision, sample, done = std::move(done)]() mutable {
      if (!decision.allowed) {
        if (decision.code == "not_found") return done(Error{"not_found", decision.reason});
        return done(Error{"forbidden", decision.reason + " (" + decision.code + ")"});
      }
      if (!sample) return done(Error{"not_found", "no process " + std::to_string(pid)});
      if (self->pid_owner.count(pid))
        return done(Error{"conflict", "process " + std::to_string(pid) + " is already watched by " + self->pid_owner[pid]});
      Watch w;
      w.id = new_watch_id();
      w.pid = pid;
      w.options = req.options;
      w.created_at_ms = dbg::unix_time_ms();
      w.start_time = sample->start_time_ticks;
      std::string id = w.id;
      self->watches[id] = std::move(w);
      self->attach(pid, id, [self, id, done](Result<nlohmann::json> attached) {
        auto it = self->watches.find(id);
        if (!attached) {
          // Nothing was stored: the watch only existed in memory while attaching.
          self->watches.erase(id);
          return done(attached.error());
        }
        if (it == self->watches.end()) return done(Error{"not_found", "the watch was deleted"});
        self->persist(it->second, [self, id, done](Result<void> saved) {
          auto w = self->watches.find(id);
          if (w == self->watches.end()) return done(Error{"not_found", "the watch was deleted"});
          if (!saved) return done(Error{"internal", "saving the watch failed: " + saved.error().message});
          auto j = w->second.to_json();
          self->hub.publish(kTopic, "watch_created", j);
          done(j);
        });
      });
    });
  });
}

void WatchManager::Impl::create_match_watch(WatchRequest req, JsonDone done) {
  auto pattern = procfs::compile_pattern(*req.match);
  if (!pattern) return done(Error{"bad_request", pattern.error().message});
  Watch w;
  w.id = new_watch_id();
  w.match = *req.match;
  w.pattern = std::move(pattern.value());
  w.options = req.options;
  w.created_at_ms = dbg::unix_time_ms();
  std::string id = w.id;
  auto row_watch = w;
  auto self = shared_from_this();
  persist(row_watch, [self, w = std::move(w), id, done](Result<void> saved) mutable {
    if (!saved) return done(Error{"internal", "saving the watch failed: " + saved.error().message});
    auto j = w.to_json();
    self->watches[id] = std::move(w);
    self->hub.publish(kTopic, "watch_created", j);
    done(j);
    self->scan_now();
  });
}

std::vector<crash::CoreWatchSpec> WatchManager::Impl::core_specs() const {
  std::vector<crash::CoreWatchSpec> out;
  for (const auto& [id, w] : watches) {
    if (w.is_core() && w.status == "active") out.push_back(crash::CoreWatchSpec{w.id, w.match, w.all, w.options});
  }
  return out;
}

void WatchManager::Impl::sync_core_watches() {
  if (!config.apply_core_watches) return;
  asio::post(blocking, [apply = config.apply_core_watches, specs = core_specs()]() mutable {
    if (auto ok = apply(std::move(specs)); !ok)
      spdlog::error("crash capture: applying the core watches failed: {}", ok.error().message);
  });
}

// Core mode: checked and installed (handler.json written with the new watch) before anything is
// stored, so a 403 or 409 changes nothing; then persisted like a match watch.
void WatchManager::Impl::create_core_watch(WatchRequest req, JsonDone done) {
  if (!config.apply_core_watches)
    return done(Error{"forbidden", "core mode is not available in this coordinator (use mode ptrace)"});
  Watch w;
  w.id = new_watch_id();
  w.mode = "core";
  w.all = req.all;
  if (req.match) {
    auto pattern = procfs::compile_pattern(*req.match);
    if (!pattern) return done(Error{"bad_request", pattern.error().message});
    w.match = *req.match;
    w.pattern = std::move(pattern.value());
  }
  w.options = req.options;
  w.created_at_ms = dbg::unix_time_ms();
  auto specs = core_specs();
  specs.push_back(crash::CoreWatchSpec{w.id, w.match, w.all, w.options});
  auto self = shared_from_this();
  asio::post(blocking, [self, w = std::move(w), specs = std::move(specs), done = std::move(done)]() mutable {
    Result<void> installed = self->config.check_core ? self->config.check_core() : Result<void>{};
    if (installed) installed = self->config.apply_core_watches(std::move(specs));
    asio::post(self->strand, [self, w = std::move(w), installed, done = std::move(done)]() mutable {
      if (!installed) {
        self->sync_core_watches();  // handler.json back to the watches that exist
        return done(installed.error());
      }
      std::string id = w.id;
      auto row_watch = w;
      self->persist(row_watch, [self, w = std::move(w), id, done](Result<void> saved) mutable {
        if (!saved) {
          self->sync_core_watches();
          return done(Error{"internal", "saving the watch failed: " + saved.error().message});
        }
        auto j = w.to_json();
        self->watches[id] = std::move(w);
        self->hub.publish(kTopic, "watch_created", j);
        done(j);
        self->sync_core_watches();  // with every watch created meanwhile too
      });
    });
  });
}

void WatchManager::Impl::remove_watch(const std::string& id, JsonDone done) {
  auto it = watches.find(id);
  if (it == watches.end()) return done(Error{"not_found", "no watch " + id});
  Watch w = std::move(it->second);
  watches.erase(it);
  if (w.is_core()) sync_core_watches();
  for (int pid : w.pids) {
    pid_owner.erase(pid);
    watcher->request("watch_remove", pid, nullptr, nullptr);
  }
  // Reservations still being attached are dropped too (attach() releases them on answer).
  for (auto o = pid_owner.begin(); o != pid_owner.end();) o = o->second == id ? pid_owner.erase(o) : std::next(o);
  auto self = shared_from_this();
  store.write([id](store::StatementCache& sql) { delete_watch(sql, id); },
              [self, w = std::move(w), done](Result<void> r) {
                asio::post(self->strand, [self, w, done, r] {
                  if (!r) return done(Error{"internal", "deleting the watch failed: " + r.error().message});
                  auto j = w.to_json();
                  j["status"] = "deleted";
                  self->hub.publish(kTopic, "watch_deleted", {{"id", w.id}});
                  done(j);
                });
              });
}

}  // namespace dbg::coord::watch
