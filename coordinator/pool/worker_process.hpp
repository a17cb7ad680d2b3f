#pragma once
// WorkerProcess: one `dbg-worker MODE` child and its two pipes (JSON lines): the pool's `serve`
// workers and the crash watch's one `watch` process. It knows nothing of jobs or watches: it
// starts the child, writes lines, hands every line read to `on_line` (the watcher also speaks
// unprompted), and reports the end of the child once (EOF on its stdout, or our kill) through
// `on_exit`. All callbacks run on the strand given at construction. Owned through shared_ptr
// because reads outlive calls.
#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

namespace boost::asio {
class io_context;
}

namespace dbg::coord::pool {

class WorkerProcess : public std::enable_shared_from_this<WorkerProcess> {
 public:
  using LineHandler = std::function<void(std::string line)>;
  using ExitHandler = std::function<void(std::string reason)>;

  // `strand` must be a strand of `ioc` (or a single-threaded executor): every handler runs on it.
  static std::shared_ptr<WorkerProcess> spawn(boost::asio::io_context& ioc, boost::asio::any_io_executor strand,
                                              const std::string& executable, const std::string& mode,
                                              LineHandler on_line, ExitHandler on_exit);
  ~WorkerProcess();

  pid_t pid() const;
  bool alive() const { return alive_; }
  // Queues one line (a '\n' is appended). Writes are sequential; ignored after exit.
  void send(std::string line);
  // SIGKILL now; on_exit follows with `reason`. The kernel releases any thread the worker had
  // stopped (PTRACE_SEIZE semantics), so a target is never left stopped.
  void kill(std::string reason);

 private:
  // "worker" or "watcher", for exit reasons and logs.
  std::string name() const;
  struct Impl;
  explicit WorkerProcess(std::unique_ptr<Impl> impl);
  void read_next();
  void deliver_lines();  // hands every complete line read so far to the line handler
  void write_next();
  void finish(std::string reason);

  std::unique_ptr<Impl> impl_;
  bool alive_ = true;
};

}  // namespace dbg::coord::pool
