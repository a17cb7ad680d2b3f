#pragma once
// WatcherProcess: the one `dbg-worker watch` child and its two pipes, like pool::WorkerProcess
// (which starts `serve`) but for the crash-watch protocol, where the child also speaks
// unprompted. Every line read goes to on_line, the end of the child (EOF, or our kill) to
// on_exit once; both on the strand given. Owned through shared_ptr because reads outlive calls.
#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

namespace boost::asio {
class io_context;
}

namespace dbg::coord::watch {

class WatcherProcess : public std::enable_shared_from_this<WatcherProcess> {
 public:
  using LineHandler = std::function<void(std::string line)>;
  using ExitHandler = std::function<void(std::string reason)>;

  static std::shared_ptr<WatcherProcess> spawn(boost::asio::io_context& ioc, boost::asio::any_io_executor strand,
                                               const std::string& executable, LineHandler on_line,
                                               ExitHandler on_exit);
  ~WatcherProcess();

  pid_t pid() const;
  bool alive() const { return alive_; }
  void send(std::string line);  // '\n' appended; ignored after exit
  // SIGKILL; the kernel releases every seized thread, running (no PTRACE_O_EXITKILL).
  void kill(std::string reason);
  // Closes its stdin: the watcher releases every watched process and exits 0.
  void close_input();

 private:
  struct Impl;
  explicit WatcherProcess(std::unique_ptr<Impl> impl);
  void read_next();
  void write_next();
  void finish(std::string reason);

  std::unique_ptr<Impl> impl_;
  bool alive_ = true;
};

}  // namespace dbg::coord::watch
