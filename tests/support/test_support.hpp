#pragma once
// Helpers every integration test needs: start real programs, read their output, inspect /proc.
// Children are RAII: a test that fails half-way never leaves a target or a server behind.
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace dbg::test {

// Absolute path of an executable the build put in build/bin (dbgcoord, dbg-worker).
std::string bin_path(const std::string& name);
// Absolute path of a target program built from tests/targets/.
std::string target_path(const std::string& name);

// A child process with its stdout on a pipe; killed (SIGKILL) and reaped on destruction.
class ChildProcess {
 public:
  // env entries ("K=V") are added to the inherited environment.
  explicit ChildProcess(const std::vector<std::string>& argv,
                        const std::vector<std::string>& env = {});
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ChildProcess(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  // Next line of the child's stdout (without '\n'), or nullopt on EOF or timeout.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  // Waits for a line equal to `expected`; false on EOF or timeout.
  bool wait_for_line(const std::string& expected, std::chrono::milliseconds timeout);
  // Writes to the child's stdin (a pipe); false when the child closed it.
  bool write_stdin(const std::string& data);
  void close_stdin();
  // Sends a signal; no-op when already reaped.
  void signal(int sig);
  // Waits for exit and returns the raw wait status, or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int in_fd_ = -1;
  std::string buffer_;
  bool reaped_ = false;
};

// A forked child that burns CPU under the name "dbg_spinner"; killed and reaped on destruction.
class Spinner {
 public:
  Spinner();
  ~Spinner();
  Spinner(const Spinner&) = delete;
  Spinner& operator=(const Spinner&) = delete;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string out;
  std::string err;
};
// Runs a command to completion, capturing stdout and stderr.
CommandResult run_command(const std::vector<std::string>& argv);

// Thread ids of a process (from /proc/PID/task), sorted.
std::vector<pid_t> thread_ids(pid_t pid);
// The state letter of a thread from /proc/PID/task/TID/stat ('?' when gone).
char thread_state(pid_t pid, pid_t tid);
// True when some thread of pid is in a ptrace stop or group stop ('t' or 'T').
bool any_thread_stopped(pid_t pid);

}  // namespace dbg::test
