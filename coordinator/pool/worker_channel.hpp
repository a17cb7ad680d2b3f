#pragma once
// WorkerChannel: the JSON-lines request/answer protocol spoken with one `dbg-worker MODE` child
// (dbg/protocol.hpp), shared by the pool's `serve` workers and the crash watch's `watch` process.
//
//  - send() writes one request line with a fresh id ("v" and "id" added here) and keeps its
//    handlers until the answer with that id: "result" or "error" ends the request, "progress"
//    does not. Answers may come in any order.
//  - A line without an id (the worker's hello, the watcher's crash/exit events) goes to
//    `on_event`; an answer for an id no request waits for (one already given up on) is dropped.
//  - A line that is not a JSON object, or nested deeper than kMaxLineDepth, is refused: with
//    `kill_on_unreadable` the child is killed (it is not speaking the protocol any more), else
//    the line is logged and skipped.
//  - When the child ends (exit, crash, kill(), a line over WorkerProcess's size limit) `on_exit`
//    runs once, and the Error it returns then fails every request still waiting; a send() after
//    that fails at once with the same Error.
// All handlers run on the strand given to open(). Owned through shared_ptr; dropping the last
// owner kills the child.
#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <nlohmann/json.hpp>

#include "dbg/error.hpp"

namespace boost::asio {
class io_context;
}

namespace dbg::coord::pool {

class WorkerProcess;

// Deep enough for any snapshot, profile or crash context the worker writes; shallow enough that
// a hostile line cannot exhaust the parser's stack (protocol::parse_bounded_json pre-scans it).
inline constexpr int kMaxLineDepth = 256;

class WorkerChannel : public std::enable_shared_from_this<WorkerChannel> {
 public:
  using Reply = std::function<void(Result<nlohmann::json>)>;   // the answer's "result", or its error
  using RawReply = std::function<void(Result<std::string>)>;   // the "result" as JSON text
  using Progress = std::function<void(const nlohmann::json&)>;  // a "progress" line's object
  using EventHandler = std::function<void(const nlohmann::json& line)>;
  // Gets the reason the child ended; returns the Error every waiting request then fails with.
  using ExitHandler = std::function<Error(const std::string& reason)>;

  struct Config {
    std::string executable;  // dbg-worker
    std::string mode;        // its subcommand: "serve" or "watch"
    std::string id_prefix;   // request ids are id_prefix + a counter
    bool kill_on_unreadable = true;
  };

  struct Request {
    nlohmann::json body;  // "kind" and its fields; "v" and "id" are added
    // One of these two gets the answer. With on_raw_reply, a result line written in the exact
    // envelope of protocol::result_line_prefix is handed over unparsed (no DOM is built for a
    // snapshot the caller parses itself); any other answer is dumped back to text.
    Reply on_reply;
    RawReply on_raw_reply;
    Progress on_progress;
  };

  // Starts the child. Throws (std::system_error / boost::process::process_error) if it cannot.
  static std::shared_ptr<WorkerChannel> open(boost::asio::io_context& ioc, boost::asio::any_io_executor strand,
                                             Config config, EventHandler on_event, ExitHandler on_exit);
  ~WorkerChannel();
  WorkerChannel(const WorkerChannel&) = delete;
  WorkerChannel& operator=(const WorkerChannel&) = delete;

  // Writes the request; returns its id. A request without handlers is fire-and-forget (its
  // answer is dropped). On an ended channel the reply fails at once with the exit Error.
  std::string send(Request request);
  // Forgets the request `id` (its answer will be dropped); false if none waits.
  bool forget(const std::string& id);
  // SIGKILL; on_exit follows with `reason`.
  void kill(std::string reason);

  pid_t pid() const;
  bool alive() const;
  size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    Reply on_reply;
    RawReply on_raw_reply;
    Progress on_progress;
  };

  WorkerChannel(Config config, EventHandler on_event, ExitHandler on_exit);
  void on_line(std::string line);
  bool try_raw_result(const std::string& line);
  void on_unreadable(const std::string& line, const std::string& why);
  void on_child_exit(std::string reason);
  static void finish(Pending& p, Result<nlohmann::json> answer);

  Config config_;
  EventHandler on_event_;
  ExitHandler on_exit_;
  std::shared_ptr<WorkerProcess> process_;
  std::map<std::string, Pending> pending_;
  uint64_t next_id_ = 1;
  std::optional<Error> ended_;  // set once the child has ended
};

}  // namespace dbg::coord::pool
