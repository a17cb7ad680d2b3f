#pragma once
// The coordinator's logger: spdlog, asynchronous (a bounded queue, one background thread), to
// the console (stderr) and to a size-rotated file in the data directory whose rotated files are
// gzip-compressed. Flushed every 5 s, and at once for errors and worse.
//
// Why overrun instead of block when the queue is full: a logging burst must never stall the
// network threads; the oldest queued lines are overwritten and counted (impact "overruns").
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

namespace dbg::coord::logging {

struct LoggerOptions {
  std::filesystem::path directory;  // DATA_DIR/logs
  std::size_t queue_size = 10'000;
  std::chrono::seconds flush_interval{5};
  std::size_t max_file_bytes = 10 * 1024 * 1024;
  std::size_t max_files = 5;  // compressed files kept
  bool console = true;
};

// Installs the asynchronous logger as spdlog's default logger for its lifetime. The destructor
// drains the queue, flushes, and puts back a synchronous stderr logger (so a failure reported
// after run() still reaches the console). One at a time.
class LoggerGuard {
 public:
  explicit LoggerGuard(const LoggerOptions& options);
  ~LoggerGuard();
  LoggerGuard(const LoggerGuard&) = delete;
  LoggerGuard& operator=(const LoggerGuard&) = delete;

  struct Active;

 private:
  std::shared_ptr<Active> active_;
};

// GET /api/v1/logging/impact: what logging has cost so far and what sampling saved.
//   {"lines": {"written", "dropped"}, "cpu_seconds": {"callers", "logger_thread"},
//    "queue": {"capacity", "entries", "reserved_bytes", "overruns"},
//    "bytes_written": {"file", "console"}, "files": {"rotations", "compressed_in_bytes",
//    "compressed_out_bytes"}, "sampling_saved": {"lines", "estimated_bytes",
//    "estimated_cpu_seconds"}}
// Fields about the queue and files are null when no logger is running.
nlohmann::json impact();

// Written/dropped counters and the queue, as metric families (registered into metrics::global()
// once, by add_logging_routes).
void register_metrics();

}  // namespace dbg::coord::logging
