#pragma once
// The state behind WatchManager (watch_manager.hpp), shared by the files that each do one of its
// jobs; only those include this header:
//   watch_manager.cpp   the public calls, posted onto the strand (a thin facade)
//   watch_create.cpp    creating and deleting watches (the API)
//   watch_attach.cpp    attaching a pid to a watch through the watcher, and saving watches
//   crash_ingest.cpp    the watcher's crash, exit and watch_ended lines: events and error events
//   match_scan.cpp      match watches: /proc scans find new matching processes
//   watch_resume.cpp    start: persisted watches resumed
// The watcher process itself is WatcherLink's (watcher_link.hpp). Everything runs on `strand`.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "coordinator/errors/error_event.hpp"
#include "coordinator/watch/watch.hpp"
#include "coordinator/watch/watch_manager.hpp"
#include "coordinator/watch/watcher_link.hpp"

namespace dbg::coord::watch {

inline constexpr const char* kTopic = "watch";  // the hub topic of watch events

struct WatchManager::Impl : std::enable_shared_from_this<WatchManager::Impl> {
  Impl(boost::asio::io_context& ioc, boost::asio::any_io_executor blocking, WatchManagerConfig config,
       const policy::TargetPolicy& policy, store::Store& store, events::Hub& hub, errors::ErrorRecorder recorder);

  boost::asio::any_io_executor strand;
  boost::asio::any_io_executor blocking;  // policy checks and /proc reads, never on the strand
  WatchManagerConfig config;
  const policy::TargetPolicy& policy;
  store::Store& store;
  events::Hub& hub;
  errors::ErrorRecorder recorder;
  boost::asio::steady_timer scan_timer;
  std::shared_ptr<WatcherLink> watcher;

  std::map<std::string, Watch> watches;
  std::map<int, std::string> pid_owner;  // pid -> watch id, attached or being attached
  // pids a match watch failed to attach (pid -> start time): not retried at every scan.
  std::map<int, uint64_t> refused;
  bool stopping = false;
  bool scanning = false;
  // API calls wait until the persisted watches are loaded: a list right after start must not
  // answer "none" while they are still being read.
  bool loaded = false;
  std::vector<std::function<void()>> deferred;

  void when_loaded(std::function<void()> fn);
  Watch* owner_of(int pid);

  // watch_create.cpp
  void create_pid_watch(WatchRequest req, JsonDone done);
  void create_match_watch(WatchRequest req, JsonDone done);
  void remove_watch(const std::string& id, JsonDone done);
  void create_core_watch(WatchRequest req, JsonDone done);
  // The active core watches as the handler selects with them (handler.json).
  std::vector<crash::CoreWatchSpec> core_specs() const;
  // Tells the crash capture the core watches now (after a delete or a resume); errors logged.
  void sync_core_watches();

  // watch_attach.cpp
  // Sends watch_add for pid on behalf of watch id; pid_owner holds the reservation meanwhile.
  // start_time (when known, from a scan) identifies the process a refusal is remembered for.
  void attach(int pid, const std::string& id, std::function<void(Result<nlohmann::json>)> done,
              uint64_t start_time = 0);
  void reattach_all();  // a new watcher after a death: re-seize every reserved pid
  void persist(const Watch& w, std::function<void(Result<void>)> done = nullptr);

  // crash_ingest.cpp
  void on_event(const nlohmann::json& line);
  void on_crash(const nlohmann::json& line);
  void on_exit_event(const nlohmann::json& line);
  void on_watch_ended(const nlohmann::json& line);
  void record(errors::ErrorEvent event);
  void on_core_report(crash::CoreReport report, std::function<void(bool)> done);
  void count_core_crash(const crash::CoreReport& report, const nlohmann::json& context);

  // match_scan.cpp
  void schedule_scan();
  void scan_now();

  // watch_resume.cpp
  void resume(std::vector<WatchRow> rows);
};

}  // namespace dbg::coord::watch
