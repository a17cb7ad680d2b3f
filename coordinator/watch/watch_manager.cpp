// WatchManager's public calls (watch_manager.hpp): each is posted onto the strand and, once the
// persisted watches are loaded, handed to the part of Impl that does it (watch_manager_impl.hpp).
#include "coordinator/watch/watch_manager.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <set>
#include <spdlog/spdlog.h>

#include "coordinator/store/store.hpp"
#include "coordinator/watch/watch_manager_impl.hpp"

namespace dbg::coord::watch {

namespace asio = boost::asio;

WatchManager::Impl::Impl(asio::io_context& ioc, asio::any_io_executor blocking_ex, WatchManagerConfig cfg,
                         const policy::TargetPolicy& pol, store::Store& st, events::Hub& h, errors::ErrorRecorder rec)
    : strand(asio::make_strand(ioc)), blocking(std::move(blocking_ex)), config(std::move(cfg)), policy(pol), store(st),
      hub(h), recorder(std::move(rec)), scan_timer(strand) {}

void WatchManager::Impl::when_loaded(std::function<void()> fn) {
  if (loaded) return fn();
  deferred.push_back(std::move(fn));
}

Watch* WatchManager::Impl::owner_of(int pid) {
  auto it = pid_owner.find(pid);
  if (it == pid_owner.end()) return nullptr;
  auto w = watches.find(it->second);
  return w == watches.end() ? nullptr : &w->second;
}

WatchManager::WatchManager(asio::io_context& ioc, asio::any_io_executor blocking, WatchManagerConfig config,
                           const policy::TargetPolicy& policy, store::Store& store, events::Hub& hub,
                           errors::ErrorRecorder recorder)
    : impl_(std::make_shared<Impl>(ioc, std::move(blocking), std::move(config), policy, store, hub, std::move(recorder))) {
  // Weak: the watcher link is the manager's, and must not keep it alive.
  std::weak_ptr<Impl> weak = impl_;
  WatcherLink::Hooks hooks{
      [weak](const nlohmann::json& line) {
        if (auto impl = weak.lock()) impl->on_event(line);
      },
      [weak] {
        auto impl = weak.lock();
        return impl && !impl->pid_owner.empty();
      },
      [weak] {
        if (auto impl = weak.lock()) impl->reattach_all();
      }};
  impl_->watcher = std::make_shared<WatcherLink>(ioc, impl_->strand, impl_->config.watcher_executable,
                                                 std::chrono::milliseconds(impl_->config.restart_delay_ms), hub,
                                                 std::move(hooks));
}

WatchManager::~WatchManager() {
  impl_->stopping = true;
  impl_->watcher->stop("coordinator stopping");
}

void WatchManager::start() {
  auto impl = impl_;
  asio::post(impl->strand, [impl] {
    impl->store.read([impl](store::StatementCache& sql) {
      std::vector<WatchRow> rows;
      try {
        rows = select_watches(sql);
      } catch (const std::exception& e) {
        spdlog::error("loading watches failed: {}", e.what());
      }
      asio::post(impl->strand, [impl, rows = std::move(rows)]() mutable { impl->resume(std::move(rows)); });
    });
  });
}

void WatchManager::stop() {
  // On the strand: with --io-threads > 1 the signal handler that calls this runs on any io
  // thread, concurrently with the strand's handlers (the watcher's lines, scans). If the
  // io_context stops before this runs, the destructor kills the watcher instead.
  asio::dispatch(impl_->strand, [impl = impl_] {
    impl->stopping = true;
    impl->scan_timer.cancel();
    impl->watcher->stop("coordinator stopping");
  });
}

void WatchManager::create(WatchRequest request, JsonDone done) {
  auto impl = impl_;
  asio::post(impl->strand, [impl, request = std::move(request), done = std::move(done)]() mutable {
    impl->when_loaded([impl, request = std::move(request), done = std::move(done)]() mutable {
      if (impl->stopping) return done(Error{"shutting_down", "the coordinator is stopping"});
      if (request.mode == "core") return impl->create_core_watch(std::move(request), std::move(done));
      if (request.pid) return impl->create_pid_watch(std::move(request), std::move(done));
      impl->create_match_watch(std::move(request), std::move(done));
    });
  });
}

void WatchManager::list(std::function<void(nlohmann::json)> done) {
  auto impl = impl_;
  asio::post(impl->strand, [impl, done = std::move(done)]() mutable { impl->when_loaded([impl, done = std::move(done)] {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [id, w] : impl->watches) list.push_back(w.to_json());
    nlohmann::json out = {{"watches", std::move(list)}, {"watcher_pid", impl->watcher->pid()}};
    if (impl->config.crash_status) out["crash_capture"] = impl->config.crash_status();
    done(std::move(out));
  }); });
}

void WatchManager::get(std::string id, JsonDone done) {
  auto impl = impl_;
  asio::post(impl->strand, [impl, id = std::move(id), done = std::move(done)]() mutable {
    impl->when_loaded([impl, id = std::move(id), done = std::move(done)] {
      auto it = impl->watches.find(id);
      if (it == impl->watches.end()) return done(Error{"not_found", "no watch " + id});
      done(it->second.to_json());
    });
  });
}

void WatchManager::remove(std::string id, JsonDone done) {
  auto impl = impl_;
  asio::post(impl->strand, [impl, id = std::move(id), done = std::move(done)]() mutable {
    impl->when_loaded([impl, id = std::move(id), done = std::move(done)] { impl->remove_watch(id, done); });
  });
}

void WatchManager::watched_pids(std::function<void(std::vector<int>)> done) {
  auto impl = impl_;
  asio::post(impl->strand, [impl, done = std::move(done)]() mutable {
    impl->when_loaded([impl, done = std::move(done)] {
      std::set<int> pids;
      for (const auto& [id, w] : impl->watches) {
        if (w.status == "active") pids.insert(w.pids.begin(), w.pids.end());
      }
      done(std::vector<int>(pids.begin(), pids.end()));
    });
  });
}

void WatchManager::capture(int pid, nlohmann::json options, std::chrono::milliseconds deadline,
                           std::function<void(Result<Snapshot>)> done) {
  auto impl = impl_;
  asio::post(impl->strand, [impl, pid, options = std::move(options), deadline, done = std::move(done)]() mutable {
    impl->when_loaded([impl, pid, options = std::move(options), deadline, done = std::move(done)]() mutable {
      Watch* w = impl->owner_of(pid);
      if (!w || w->status != "active" || !w->pids.count(pid))
        return done(Error{"not_watched", "process " + std::to_string(pid) + " is not held by the watcher"});
      // One answer wins: the watcher's, or the deadline's (a later answer is then dropped).
      auto finished = std::make_shared<std::function<void(Result<Snapshot>)>>(std::move(done));
      auto timer = std::make_shared<asio::steady_timer>(impl->strand, deadline);
      timer->async_wait([finished, pid](const boost::system::error_code& ec) {
        if (ec || !*finished) return;
        auto f = std::exchange(*finished, nullptr);
        f(Error{"deadline", "the watcher did not capture " + std::to_string(pid) + " in time"});
      });
      impl->watcher->request("capture", pid, options, [finished, timer](Result<nlohmann::json> answer) {
        timer->cancel();
        if (!*finished) return;
        auto f = std::exchange(*finished, nullptr);
        if (!answer) return f(answer.error());
        try {
          f(answer.value().get<Snapshot>());
        } catch (const std::exception& e) {
          f(Error{"worker_protocol_error", std::string("the watcher's snapshot: ") + e.what()});
        }
      });
    });
  });
}

void WatchManager::ingest_core_report(crash::CoreReport report, std::function<void(bool)> done) {
  auto impl = impl_;
  asio::post(impl->strand, [impl, report = std::move(report), done = std::move(done)]() mutable {
    impl->when_loaded([impl, report = std::move(report), done = std::move(done)]() mutable {
      impl->on_core_report(std::move(report), std::move(done));
    });
  });
}

int WatchManager::watcher_pid() const { return impl_->watcher->pid(); }

}  // namespace dbg::coord::watch
