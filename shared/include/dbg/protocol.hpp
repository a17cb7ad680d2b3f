#pragma once
// The worker protocol: newline-delimited JSON on the worker's stdin/stdout, one job in flight.
//
// coordinator -> worker   {"v":1, "id":"j1", "kind":"snapshot", "pid":42, "options":{…}, "deadline_ms":5000}
//                         {"v":1, "id":"p1", "kind":"ping"}
//                         {"v":1, "id":"j2", "kind":"profile", "pid":42, "options":{"hz":99,…}}
//                         {"v":1, "id":"c1", "kind":"cancel", "job":"j2"}   (while j2 runs: stop
//                                                  early and answer j2 with what was collected)
// worker -> coordinator   {"v":1, "type":"hello", "worker_pid":…, "version":"…"}        (once, at start)
//                         {"v":1, "id":"j1", "type":"result", "result":{…}}
//                         {"v":1, "id":"j1", "type":"error", "error":{"code","message"}}
//                         {"v":1, "id":"p1", "type":"pong"}
//                         {"v":1, "id":"j2", "type":"progress", "progress":{…}}   (long jobs, ~1/s)
// Every message carries "v"; a message with another version is answered with an error.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "dbg/error.hpp"
#include "dbg/snapshot.hpp"

namespace dbg::protocol {

inline constexpr int kVersion = 1;
inline constexpr size_t kMaxLineBytes = 1 << 20;  // a request line longer than this is refused
inline constexpr int kMaxJsonDepth = 16;

struct JobRequest {
  std::string id;
  std::string kind;  // "snapshot", "profile", "ping", "cancel"
  int pid = 0;
  nlohmann::json options = nlohmann::json::object();
  int64_t deadline_ms = 0;  // 0: no deadline given
  std::string job;          // kind "cancel": the id of the job to stop
};

enum class Consistency { kThread, kProcess };

// Where source positions and inlined frames come from. Separate debug files (/usr/lib/debug,
// e.g. libc6-dbg) are large and compressed: the first use in a worker costs ~100 ms per
// library, later ones nothing (cached by build-id).
enum class SourceMode { kAll, kEmbedded, kNone };

struct SnapshotOptions {
  int max_depth = 128;            // frames per thread
  size_t stack_bytes = 64 * 1024;  // bytes of stack copied per thread, from sp upward
  Consistency consistency = Consistency::kThread;
  SourceMode source = SourceMode::kAll;
};

inline constexpr int kMaxDepthLimit = 1024;
inline constexpr size_t kMinStackBytes = 4096;
inline constexpr size_t kMaxStackBytes = 8 << 20;

// Parses JSON with a bounded nesting depth; Error{"bad_request"} on failure.
Result<nlohmann::json> parse_bounded_json(std::string_view text, int max_depth = kMaxJsonDepth);
// What every request line shares, checked: bounded length, a JSON object, our "v", a non-empty
// string "id", a string "kind". `serve` and `watch` check the rest of `body` per kind.
struct RequestEnvelope {
  nlohmann::json body;
  std::string id;
  std::string kind;
};
Result<RequestEnvelope> parse_envelope(std::string_view line);
// The request's "pid": a positive integer that fits a pid_t.
Result<int> parse_pid_field(const nlohmann::json& body);
// Parses and validates one request line.
Result<JobRequest> parse_request(std::string_view line);
// Validates snapshot options (unknown keys are refused so typos do not pass silently).
Result<SnapshotOptions> parse_snapshot_options(const nlohmann::json& options);
const char* to_string(Consistency c);
const char* to_string(SourceMode m);

// One-line JSON; invalid UTF-8 in strings is replaced instead of throwing.
std::string dump(const nlohmann::json& j);

std::string hello_line(int worker_pid);
std::string result_line(const std::string& id, const nlohmann::json& result);
// The same envelope around a snapshot, written without a DOM (dbg/snapshot_wire.hpp). Its
// prefix is exactly result_line_prefix(id), which lets the coordinator take the result's text
// without parsing the envelope.
std::string snapshot_result_line(const std::string& id, const Snapshot& snapshot);
std::string result_line_prefix(const std::string& id);
std::string error_line(const std::string& id, const Error& error);
std::string pong_line(const std::string& id);
std::string progress_line(const std::string& id, const nlohmann::json& progress);

}  // namespace dbg::protocol
