#pragma once
// `dbg-worker watch`: the crash-watch protocol. Newline-delimited JSON on stdin/stdout with the
// envelope of the job protocol (dbg/protocol.hpp): "v":1 on every message, requests carry an
// id, answers repeat it. Unlike `serve`, many watches are held at once and the watcher speaks
// unprompted when something happens to a watched process.
//
// coordinator -> watcher
//   {"v":1,"id":"a1","kind":"watch_add","pid":N,"options":{"max_depth":20,"max_variables":10,"max_threads":256}}
//   {"v":1,"id":"a2","kind":"watch_remove","pid":N}
//   {"v":1,"id":"p","kind":"ping"}
//   {"v":1,"id":"c1","kind":"capture","pid":N,"options":{"max_depth":…,"stack_bytes":…,"source":…}}
//        a snapshot of a watched process, taken on the threads the watcher holds (a snapshot
//        worker cannot seize them): always `process` consistency ("consistency":"thread" is a
//        bad_request); the deadlock and busy-hang checks of watched processes use it.
// watcher -> coordinator (answers)
//   {"v":1,"type":"hello","worker_pid":…,"version":"0.1.0"}                           once, at start
//   {"v":1,"id":"a1","type":"result","result":{"pid":N,"threads":T,"comm":"…"}}        watch_add: every thread seized
//   {"v":1,"id":"a2","type":"result","result":{"pid":N,"released":true}}               watch_remove: every thread released
//   {"v":1,"id":"a1","type":"error","error":{"code","message"}}                       bad_request, process_gone,
//                                    permission_denied, already_traced, already_watched, not_watched, kernel_thread
//   {"v":1,"id":"p","type":"pong","watched":K}
//   {"v":1,"id":"c1","type":"result","result":{snapshot}}   capture: the snapshot jobs' answer
//                                    (dbg/snapshot.hpp, snapshot_result_line); error not_watched
// watcher -> coordinator (events, no id)
//   {"v":1,"type":"crash","pid":N,"context":{…}}        a fatal signal with default disposition is about to be delivered;
//                                                        the context is complete; the process then dies of it
//   {"v":1,"type":"exit","pid":N,"status":S,"comm":"…","timestamp_ms":…}   exited with a non-zero status S
//   {"v":1,"type":"watch_ended","pid":N,"reason":R,…}  the watch is over. R: "exited" (+"status"),
//                                                        "crashed" / "killed" (+"signal"), "removed", "exec_failed"
// A zero exit only ends the watch (watch_ended "exited", status 0). EOF on stdin releases every
// watched process and exits 0; a SIGKILLed watcher leaves them to the kernel, which releases
// them (PTRACE_SEIZE without PTRACE_O_EXITKILL), running.
//
// Crash context (bounded):
//   {"type":"SIGSEGV/SEGV_MAPERR", "signal":11, "signal_name":"SIGSEGV", "code":1, "code_name":"SEGV_MAPERR",
//    "message":"…" (<= 500 chars), "timestamp_ms", "pid", "comm", "tid", "thread_name",
//    "fault": {"address":"0x…", "class":"null_page|stack_guard|stack|heap|text|data|anonymous|unmapped|kernel",
//              "mapping": "path"|null} | null,
//    "abort_message": "…"|null, "exception": {"type","what"|null}|null,
//    "registers": {"rip":"0x…",…}, "threads": [ThreadStack JSON (dbg/snapshot.hpp), crashing thread first,
//    "crashing": true on it], "omitted_threads": n, "variables": {…}|null (watch_variables.hpp),
//    "capture_us": …, "analysis_us": …}
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "dbg/error.hpp"
#include "dbg/protocol.hpp"

namespace dbg::worker {

struct WatchOptions {
  int max_depth = 20;       // frames per thread, 1..1024
  int max_variables = 10;   // key variables of the crashing frame, 0..100
  int max_threads = 256;    // threads whose stacks are included, 1..100000 (the rest are counted)
};

struct WatchRequest {
  std::string id;
  std::string kind;  // "watch_add", "watch_remove", "capture", "ping"
  int pid = 0;
  WatchOptions options;               // watch_add
  protocol::SnapshotOptions snapshot;  // capture (consistency always process)
};

Result<WatchRequest> parse_watch_request(std::string_view line);
Result<WatchOptions> parse_watch_options(const nlohmann::json& options);

std::string crash_line(int pid, const nlohmann::json& context);
std::string exit_line(int pid, int status, const std::string& comm, int64_t timestamp_ms);
std::string watch_ended_line(int pid, const std::string& reason, const nlohmann::json& details);
std::string watch_pong_line(const std::string& id, size_t watched);

}  // namespace dbg::worker
