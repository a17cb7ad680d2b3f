#include "coordinator/pool/child_reaper.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <chrono>
#include <memory>

namespace dbg::coord::pool {

namespace {

// One pending reap: owns its timer and keeps itself alive through the timer's handler.
struct Reap : std::enable_shared_from_this<Reap> {
  Reap(boost::asio::any_io_executor ex, pid_t p, std::function<void(int)> done)
      : timer(std::move(ex)), pid(p), on_reaped(std::move(done)) {}

  boost::asio::steady_timer timer;
  pid_t pid;
  std::function<void(int)> on_reaped;
  std::chrono::milliseconds delay{1};

  // true once the child is collected (or is not ours to collect).
  bool try_reap() {
    int status = 0;
    pid_t r;
    do r = ::waitpid(pid, &status, WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == 0) return false;  // still running or still exiting: not a zombie yet
    if (on_reaped) on_reaped(r == pid ? status : -1);
    return true;
  }

  void poll() {
    if (try_reap()) return;
    timer.expires_after(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(100));
    // The io_context may be destroyed before the child dies (at shutdown): the handler then
    // never runs, and init reaps the orphan after we exit.
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->poll();
    });
  }
};

}  // namespace

void reap_when_exited(boost::asio::any_io_executor executor, pid_t pid, std::function<void(int)> on_reaped) {
  std::make_shared<Reap>(std::move(executor), pid, std::move(on_reaped))->poll();
}

}  // namespace dbg::coord::pool
