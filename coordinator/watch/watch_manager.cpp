#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // libstdc++ <regex> under -fsanitize (process_match.hpp)
#endif
#include "coordinator/watch/watch_manager.hpp"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <spdlog/spdlog.h>

#include "coordinator/events/hub.hpp"
#include "coordinator/pool/worker_process.hpp"
#include "coordinator/policy/target_policy.hpp"
#include "coordinator/procfs/proc_reader.hpp"
#include "coordinator/procfs/process_match.hpp"
#include "coordinator/store/store.hpp"
#include "coordinator/watch/crash_event.hpp"
#include "coordinator/watch/watch_rows.hpp"
#include "dbg/protocol.hpp"

namespace dbg::coord::watch {

namespace asio = boost::asio;

namespace {

constexpr const char* kTopic = "watch";

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Sortable and unique across restarts: creation time, then randomness.
std::string new_watch_id() {
  static std::mt19937_64 rng{std::random_device{}()};
  char buf[48];
  std::snprintf(buf, sizeof buf, "w-%llx-%06llx", static_cast<unsigned long long>(now_ms()),
                static_cast<unsigned long long>(rng() & 0xffffff));
  return buf;
}

// The watcher's error codes as API errors (api::error_response maps the codes to statuses).
Error api_error(const nlohmann::json& error) {
  std::string code = error.value("code", std::string("internal"));
  std::string message = error.value("message", std::string());
  if (code == "process_gone") return Error{"not_found", message};
  if (code == "permission_denied" || code == "kernel_thread") return Error{"forbidden", message};
  if (code == "already_traced") return Error{"forbidden", message + " (another tracer holds it)"};
  if (code == "already_watched") return Error{"conflict", message};
  if (code == "bad_request") return Error{"bad_request", message};
  return Error{"internal", code + ": " + message};
}

struct Watch {
  std::string id;
  std::optional<int> pid;
  std::optional<std::string> match;
  std::optional<std::regex> pattern;
  nlohmann::json options = nlohmann::json::object();
  std::string status = "active";  // "active" or "ended"
  std::string ended_reason;
  int64_t created_at_ms = 0;
  uint64_t start_time = 0;  // a pid watch's process start time (clock ticks since boot)
  std::set<int> pids;       // attached now
  int crashes = 0, exits = 0;
  nlohmann::json last_event = nullptr;

  nlohmann::json to_json() const {
    nlohmann::json j = {{"id", id},       {"status", status},     {"options", options}, {"created_at_ms", created_at_ms},
                        {"pids", pids},   {"crashes", crashes},   {"exits", exits},     {"last_event", last_event}};
    if (pid) j["pid"] = *pid;
    if (match) j["match"] = *match;
    if (!ended_reason.empty()) j["ended_reason"] = ended_reason;
    return j;
  }
  WatchRow to_row() const {
    nlohmann::json body = to_json();
    body["start_time"] = start_time;
    return WatchRow{id, pid ? "pid" : "match", status, created_at_ms, std::move(body)};
  }
};

}  // namespace

struct WatchManager::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io, asio::any_io_executor blocking_ex, WatchManagerConfig cfg, const policy::TargetPolicy& pol,
       store::Store& st, events::Hub& h, errors::ErrorRecorder rec)
      : ioc(io), strand(asio::make_strand(io)), blocking(std::move(blocking_ex)), config(std::move(cfg)), policy(pol),
        store(st), hub(h), recorder(std::move(rec)), scan_timer(strand), restart_timer(strand) {}

  asio::io_context& ioc;
  asio::any_io_executor strand;
  asio::any_io_executor blocking;
  WatchManagerConfig config;
  const policy::TargetPolicy& policy;
  store::Store& store;
  events::Hub& hub;
  errors::ErrorRecorder recorder;
  asio::steady_timer scan_timer;
  asio::steady_timer restart_timer;

  std::map<std::string, Watch> watches;
  std::map<int, std::string> pid_owner;  // pid -> watch id, attached or being attached
  // pids a match watch failed to attach (pid -> start time): not retried at every scan.
  std::map<int, uint64_t> refused;
  std::shared_ptr<pool::WorkerProcess> watcher;
  std::atomic<int> watcher_pid{0};
  std::map<std::string, std::function<void(const nlohmann::json&)>> pending;  // request id -> answer handler
  uint64_t next_request = 1;
  bool stopping = false;
  bool scanning = false;
  // API calls wait until the persisted watches are loaded: a list right after start must not
  // answer "none" while they are still being read.
  bool loaded = false;
  std::vector<std::function<void()>> deferred;

  void when_loaded(std::function<void()> fn) {
    if (loaded) return fn();
    deferred.push_back(std::move(fn));
  }

  // --- the watcher process ---------------------------------------------------------------

  void spawn_watcher(bool replacement) {
    if (stopping) return;
    // Weak: we own the watcher, and its callbacks owning us would be a cycle that outlives the
    // coordinator whenever the io_context stops before the watcher's exit is read (LeakSanitizer
    // found it at every shutdown with a watcher, scripts/sanitize.sh).
    std::weak_ptr<Impl> weak = shared_from_this();
    try {
      watcher = pool::WorkerProcess::spawn(
          ioc, strand, config.watcher_executable, "watch",
          [weak](std::string line) {
            if (auto self = weak.lock()) self->on_line(std::move(line));
          },
          [weak](std::string reason) {
            if (auto self = weak.lock()) self->on_watcher_exit(std::move(reason));
          });
    } catch (const std::exception& e) {
      spdlog::error("cannot start the watcher {}: {}", config.watcher_executable, e.what());
      schedule_restart();
      return;
    }
    watcher_pid = watcher->pid();
    if (!replacement) return;
    // Re-seize everything that was attached: the old watcher's death released it.
    std::vector<std::pair<int, std::string>> attached(pid_owner.begin(), pid_owner.end());
    for (const auto& [pid, id] : attached) attach(pid, id, nullptr);
    hub.publish(kTopic, "watcher_restarted", {{"worker_pid", watcher_pid.load()}, {"rewatched", attached.size()}});
    spdlog::info("watcher replaced by pid {}, re-adding {} watched processes", watcher_pid.load(), attached.size());
  }

  // The watcher is started on first use (no watch, no process) and replaced while it has work.
  bool restart_pending = false;
  void ensure_watcher() {
    if (!watcher && !restart_pending && !stopping) spawn_watcher(false);
  }

  void schedule_restart() {
    if (stopping || restart_pending) return;
    restart_pending = true;
    restart_timer.expires_after(std::chrono::milliseconds(config.restart_delay_ms));
    restart_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      self->restart_pending = false;
      if (!ec) self->spawn_watcher(true);
    });
  }

  void on_watcher_exit(std::string reason) {
    watcher.reset();
    watcher_pid = 0;
    auto failed = std::exchange(pending, {});
    for (auto& [id, handler] : failed)
      handler({{"type", "error"}, {"error", {{"code", "watcher_crashed"}, {"message", "the watcher died: " + reason}}}});
    if (stopping) return;
    hub.publish("worker", "watcher_exited", {{"reason", reason}});
    if (pid_owner.empty()) {
      spdlog::info("watcher ended ({}); none needed until the next watched process", reason);
      return;
    }
    spdlog::warn("watcher ended ({}); starting another", reason);
    schedule_restart();
  }

  void request(const std::string& kind, int pid, const nlohmann::json& options,
               std::function<void(const nlohmann::json&)> handler) {
    std::string id = "w" + std::to_string(next_request++);
    nlohmann::json line = {{"v", protocol::kVersion}, {"id", id}, {"kind", kind}, {"pid", pid}};
    if (!options.is_null() && !options.empty()) line["options"] = options;
    ensure_watcher();
    if (!watcher || !watcher->alive()) {
      if (handler) handler({{"type", "error"}, {"error", {{"code", "watcher_crashed"}, {"message", "no watcher running"}}}});
      return;
    }
    if (handler) pending[id] = std::move(handler);
    watcher->send(protocol::dump(line));
  }

  void on_line(std::string text) {
    auto parsed = protocol::parse_bounded_json(text, 64);
    if (!parsed || !parsed.value().is_object()) {
      spdlog::warn("watcher said something unreadable: {}", text.substr(0, 200));
      return;
    }
    const auto& line = parsed.value();
    try {
      if (line.contains("id") && line["id"].is_string()) {
        auto it = pending.find(line["id"]);
        if (it == pending.end()) return;
        auto handler = std::move(it->second);
        pending.erase(it);
        handler(line);
        return;
      }
      std::string type = line.value("type", std::string());
      if (type == "crash") return on_crash(line);
      if (type == "exit") return on_exit_event(line);
      if (type == "watch_ended") return on_watch_ended(line);
    } catch (const std::exception& e) {
      spdlog::warn("watcher line not understood ({}): {}", e.what(), text.substr(0, 200));
    }
  }

  Watch* owner_of(int pid) {
    auto it = pid_owner.find(pid);
    if (it == pid_owner.end()) return nullptr;
    auto w = watches.find(it->second);
    return w == watches.end() ? nullptr : &w->second;
  }

  void on_crash(const nlohmann::json& line) {
    int pid = line.at("pid");
    Watch* w = owner_of(pid);
    std::string watch_id = w ? w->id : std::string();
    auto event = crash_to_event(line, watch_id);
    const auto& ctx = line.at("context");
    nlohmann::json summary = {{"watch_id", watch_id}, {"pid", pid},           {"type", event.type},
                              {"message", event.message}, {"timestamp_ms", event.timestamp_ms},
                              {"comm", event.comm}};
    if (w) {
      ++w->crashes;
      w->last_event = summary;
      persist(*w);
    }
    nlohmann::json data = summary;
    data["frames"] = event.frames;
    data["context"] = ctx;
    hub.publish(kTopic, "crash", std::move(data));
    record(std::move(event));
  }

  void on_exit_event(const nlohmann::json& line) {
    int pid = line.at("pid");
    Watch* w = owner_of(pid);
    std::string watch_id = w ? w->id : std::string();
    auto event = exit_to_event(line, watch_id);
    nlohmann::json summary = {{"watch_id", watch_id}, {"pid", pid},     {"type", event.type},
                              {"status", line.at("status")}, {"comm", event.comm}, {"timestamp_ms", event.timestamp_ms}};
    if (w) {
      ++w->exits;
      w->last_event = summary;
      persist(*w);
    }
    hub.publish(kTopic, "exit", summary);
    record(std::move(event));
  }

  void record(errors::ErrorEvent event) {
    if (!recorder) return;
    try {
      recorder(std::move(event));
    } catch (const std::exception& e) {
      spdlog::error("error recorder failed: {}", e.what());
    }
  }

  void on_watch_ended(const nlohmann::json& line) {
    int pid = line.at("pid");
    Watch* w = owner_of(pid);
    pid_owner.erase(pid);
    if (!w) return;  // deleted meanwhile
    w->pids.erase(pid);
    std::string reason = line.value("reason", std::string());
    nlohmann::json data = line;
    data.erase("v");
    data.erase("type");
    data["watch_id"] = w->id;
    if (w->pid) {
      w->status = "ended";
      w->ended_reason = reason;
      persist(*w);
    }
    hub.publish(kTopic, "watch_ended", std::move(data));
  }

  // --- attaching -------------------------------------------------------------------------

  // Sends watch_add for pid on behalf of watch id; pid_owner holds the reservation meanwhile.
  // start_time (when known, from a scan) identifies the process a refusal is remembered for.
  void attach(int pid, const std::string& id, std::function<void(Result<nlohmann::json>)> done,
              uint64_t start_time = 0) {
    pid_owner[pid] = id;
    auto it = watches.find(id);
    nlohmann::json options = it == watches.end() ? nlohmann::json::object() : it->second.options;
    auto self = shared_from_this();
    request("watch_add", pid, options, [self, pid, id, done, start_time](const nlohmann::json& answer) {
      auto owner = self->pid_owner.find(pid);
      bool still_ours = owner != self->pid_owner.end() && owner->second == id;
      auto w = self->watches.find(id);
      if (answer.value("type", std::string()) != "result") {
        const auto& error = answer.contains("error") ? answer["error"] : nlohmann::json::object();
        if (error.value("code", std::string()) == "watcher_crashed") {
          // Not the process's fault: the reservation stays, and the next watcher re-adds every
          // reserved pid (spawn_watcher). Only an API request waiting for this answer gives up.
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
            if (start_time != 0 && error.value("code", std::string()) != "already_traced") self->refused[pid] = start_time;
          } else if (w->second.status == "active" && !done) {
            // A resumed pid watch whose process cannot be watched any more.
            w->second.status = "ended";
            w->second.ended_reason = error.value("code", std::string("watch_failed"));
            self->persist(w->second);
          }
        }
        if (done) done(api_error(error));
        return;
      }
      if (w == self->watches.end() || !still_ours) {
        // Deleted while attaching: let it go again.
        self->request("watch_remove", pid, nullptr, nullptr);
        if (done) done(Error{"not_found", "the watch was deleted"});
        return;
      }
      w->second.pids.insert(pid);
      if (done) return done(answer.at("result"));
      self->hub.publish(kTopic, "watch_attached", {{"watch_id", id}, {"pid", pid}, {"comm", answer.at("result").value("comm", "")}});
    });
  }

  void persist(const Watch& w, std::function<void(Result<void>)> done = nullptr) {
    auto row = w.to_row();
    store.write([row](store::StatementCache& sql) { upsert_watch(sql, row, now_ms()); },
                [self = shared_from_this(), done](Result<void> r) {
                  if (!r) spdlog::error("saving a watch failed: {}", r.error().message);
                  if (done) asio::post(self->strand, [done, r] { done(r); });
                });
  }

  // --- the API ---------------------------------------------------------------------------

  void create_pid_watch(WatchRequest req, JsonDone done) {
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
        w.created_at_ms = now_ms();
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

  void create_match_watch(WatchRequest req, JsonDone done) {
    auto pattern = procfs::compile_pattern(*req.match);
    if (!pattern) return done(Error{"bad_request", pattern.error().message});
    Watch w;
    w.id = new_watch_id();
    w.match = *req.match;
    w.pattern = std::move(pattern.value());
    w.options = req.options;
    w.created_at_ms = now_ms();
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

  void remove_watch(const std::string& id, JsonDone done) {
    auto it = watches.find(id);
    if (it == watches.end()) return done(Error{"not_found", "no watch " + id});
    Watch w = std::move(it->second);
    watches.erase(it);
    for (int pid : w.pids) {
      pid_owner.erase(pid);
      request("watch_remove", pid, nullptr, nullptr);
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

  // --- match watches: /proc scans --------------------------------------------------------

  void schedule_scan() {
    if (stopping) return;
    scan_timer.expires_after(std::chrono::milliseconds(config.scan_interval_ms));
    scan_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->scan_now();
    });
  }

  void scan_now() {
    if (stopping || scanning) return;
    std::vector<std::pair<std::string, std::regex>> patterns;
    for (const auto& [id, w] : watches) {
      if (w.pattern && w.status == "active") patterns.emplace_back(id, *w.pattern);
    }
    if (patterns.empty()) return schedule_scan();
    scanning = true;
    auto self = shared_from_this();
    asio::post(blocking, [self, patterns = std::move(patterns)] {
      struct Candidate {
        int pid;
        uint64_t start_time;
        std::string id;
      };
      std::vector<Candidate> found;
      std::set<int> alive;
      for (const auto& p : procfs::read_all_processes()) {
        alive.insert(p.pid);
        for (const auto& [id, re] : patterns) {
          if (!procfs::matches_comm_or_cmdline(re, p)) continue;
          if (self->policy.check(p).allowed) found.push_back({p.pid, p.start_time_ticks, id});
          break;
        }
      }
      asio::post(self->strand, [self, found = std::move(found), alive = std::move(alive)] {
        self->scanning = false;
        for (auto it = self->refused.begin(); it != self->refused.end();)
          it = alive.count(it->first) ? std::next(it) : self->refused.erase(it);
        for (const auto& c : found) {
          if (self->pid_owner.count(c.pid)) continue;
          if (auto r = self->refused.find(c.pid); r != self->refused.end() && r->second == c.start_time) continue;
          auto w = self->watches.find(c.id);
          if (w == self->watches.end() || w->second.status != "active") continue;
          self->attach(c.pid, c.id, nullptr, c.start_time);
        }
        self->schedule_scan();
      });
    });
  }

  // --- start: resume persisted watches ---------------------------------------------------

  void resume(std::vector<WatchRow> rows) {
    auto self = shared_from_this();
    asio::post(blocking, [self, rows = std::move(rows)]() mutable {
      // Which pid watches still have their process (same pid, same start time, still allowed).
      std::set<std::string> alive;
      for (const auto& row : rows) {
        if (row.kind != "pid" || row.status != "active") continue;
        int pid = row.body.value("pid", 0);
        auto sample = procfs::read_process(pid);
        if (sample && sample->start_time_ticks == row.body.value("start_time", uint64_t{0}) && self->policy.check(pid).allowed)
          alive.insert(row.id);
      }
      asio::post(self->strand, [self, rows = std::move(rows), alive = std::move(alive)] {
        for (const auto& row : rows) {
          Watch w;
          w.id = row.id;
          w.status = row.status;
          w.created_at_ms = row.created_at_ms;
          w.options = row.body.value("options", nlohmann::json::object());
          w.ended_reason = row.body.value("ended_reason", std::string());
          w.crashes = row.body.value("crashes", 0);
          w.exits = row.body.value("exits", 0);
          w.last_event = row.body.value("last_event", nlohmann::json(nullptr));
          w.start_time = row.body.value("start_time", uint64_t{0});
          if (row.kind == "pid") {
            w.pid = row.body.value("pid", 0);
          } else {
            w.match = row.body.value("match", std::string());
            auto pattern = procfs::compile_pattern(*w.match);
            if (!pattern) continue;
            w.pattern = std::move(pattern.value());
          }
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
        self->loaded = true;
        for (auto& fn : std::exchange(self->deferred, {})) fn();
        self->scan_now();
      });
    });
  }
};

WatchManager::WatchManager(asio::io_context& ioc, asio::any_io_executor blocking, WatchManagerConfig config,
                           const policy::TargetPolicy& policy, store::Store& store, events::Hub& hub,
                           errors::ErrorRecorder recorder)
    : impl_(std::make_shared<Impl>(ioc, std::move(blocking), std::move(config), policy, store, hub, std::move(recorder))) {}

WatchManager::~WatchManager() {
  impl_->stopping = true;
  if (impl_->watcher) impl_->watcher->kill("coordinator stopping");
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
    impl->restart_timer.cancel();
    if (impl->watcher) impl->watcher->kill("coordinator stopping");
  });
}

void WatchManager::create(WatchRequest request, JsonDone done) {
  auto impl = impl_;
  asio::post(impl->strand, [impl, request = std::move(request), done = std::move(done)]() mutable {
    impl->when_loaded([impl, request = std::move(request), done = std::move(done)]() mutable {
      if (impl->stopping) return done(Error{"shutting_down", "the coordinator is stopping"});
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
    done({{"watches", std::move(list)}, {"watcher_pid", impl->watcher_pid.load()}});
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
      impl->request("capture", pid, options, [finished, timer](const nlohmann::json& answer) {
        timer->cancel();
        if (!*finished) return;
        auto f = std::exchange(*finished, nullptr);
        if (answer.value("type", std::string()) != "result") {
          const auto& error = answer.contains("error") ? answer["error"] : nlohmann::json::object();
          return f(Error{error.value("code", std::string("internal")), error.value("message", std::string())});
        }
        try {
          f(answer.at("result").get<Snapshot>());
        } catch (const std::exception& e) {
          f(Error{"worker_protocol_error", std::string("the watcher's snapshot: ") + e.what()});
        }
      });
    });
  });
}

int WatchManager::watcher_pid() const { return impl_->watcher_pid.load(); }

}  // namespace dbg::coord::watch
