#pragma once
// This host's part of the fleet sessions: a thread with its own PostgreSQL connection that
// LISTENs on dbgcoord_fleet_tasks (polling every second as the fallback, so a lost
// notification costs a second, not the task), claims this host's queued tasks one at a time
// (FOR UPDATE SKIP LOCKED: two coordinators sharing a host name never run the same task),
// runs each through the local scheduler and pool (local_run.hpp), and writes the summary back.
// A task whose session is past its deadline is not claimed: its view already says so.
#include <atomic>
#include <string>
#include <thread>

namespace dbg::coord::sessions {
class Scheduler;
}
namespace dbg::coord::store {
class Store;
}

namespace dbg::coord::fleet {

inline constexpr const char* kTasksChannel = "dbgcoord_fleet_tasks";

class FleetTasks {
 public:
  // Starts the thread; the scheduler and the store must outlive this object.
  FleetTasks(std::string conninfo, std::string host, sessions::Scheduler& scheduler, store::Store& store);
  // Stops: a task in progress is written back as failed ("the coordinator stopped").
  ~FleetTasks();
  FleetTasks(const FleetTasks&) = delete;
  FleetTasks& operator=(const FleetTasks&) = delete;

 private:
  void run();

  const std::string conninfo_, host_;
  sessions::Scheduler& scheduler_;
  store::Store& store_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace dbg::coord::fleet
