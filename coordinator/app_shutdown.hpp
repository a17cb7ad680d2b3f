#pragma once
// How the coordinator stops. StopOnSignal turns SIGINT/SIGTERM into the stop sequence below;
// finish_after_stop() is what follows once the io_context has returned. Included by app.cpp
// only: it pulls in Asio.
//
// A stop in order (tests/integration/coordinator_faults_test.cpp checks each step):
//  1. no new connections;
//  2. unfinished sessions end as "failed" with a reason and are committed (before this, a
//     clean stop left them "running" in the database until the next start);
//  3. workers and the watcher are killed: the kernel releases every thread they held
//     (PTRACE_SEIZE), so no target stays stopped or traced;
//  4. the io_context stops once step 2 is committed, or after kStopGrace whatever happens (a
//     disk that no longer answers must not keep a SIGTERMed server alive);
//  5. after run(): the store drains its queue and closes the database (last connection:
//     SQLite checkpoints and removes the WAL), the logger flushes its queue.
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <thread>
#include <vector>

namespace dbg::coord {

struct Services;
namespace http {
class Listener;
}

class StopOnSignal {
 public:
  // Install it before the startup line is printed: whoever reads that line may signal us at
  // once, and a signal before this point would kill us with the default action (no clean exit).
  StopOnSignal(Services& services, http::Listener& listener);
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

 private:
  boost::asio::signal_set signals_;
  boost::asio::steady_timer stop_guard_;
};

// After the io_context returned (step 5 above, as far as it is ours): joins the io threads and
// the blocking pool, and flushes what the store queued after the last acknowledged write.
void finish_after_stop(Services& services, std::vector<std::thread>& io_threads);

}  // namespace dbg::coord
