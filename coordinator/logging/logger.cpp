#include "coordinator/logging/logger.hpp"

#include <pthread.h>
#include <time.h>

#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>

#include "coordinator/logging/gzip_rotating_sink.hpp"
#include "coordinator/logging/logging_config.hpp"
#include "coordinator/metrics/registry.hpp"

namespace dbg::coord::logging {

struct LoggerGuard::Active {
  LoggerOptions options;
  std::shared_ptr<spdlog::details::thread_pool> pool;
  std::shared_ptr<GzipRotatingFileSink> file;
  std::shared_ptr<spdlog::async_logger> logger;
  // The logger thread's CPU clock, set from inside that thread when it starts.
  std::atomic<bool> has_clock{false};
  clockid_t clock{};
  std::mutex ticker_mutex;
  std::condition_variable_any ticker_wake;
  std::jthread ticker;
};

namespace {

std::mutex active_mutex;
std::weak_ptr<LoggerGuard::Active> active_logger;

double seconds_of(clockid_t clock) {
  timespec ts{};
  if (::clock_gettime(clock, &ts) != 0) return 0;
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Every second: flush when the interval passed, start a new sampling window when the window
// passed. One thread for both (spdlog::flush_every would be a second one).
void tick(std::stop_token stop, LoggerGuard::Active* a) {
  pthread_setname_np(pthread_self(), "dbg-log-tick");
  auto last_flush = std::chrono::steady_clock::now();
  auto window_start = last_flush;
  std::unique_lock lock(a->ticker_mutex);
  while (!stop.stop_requested()) {
    a->ticker_wake.wait_for(lock, stop, std::chrono::seconds(1), [] { return false; });
    auto now = std::chrono::steady_clock::now();
    if (now - last_flush >= a->options.flush_interval) {
      a->logger->flush();
      last_flush = now;
    }
    if (now - window_start >= current_config().window) {
      start_new_window();
      window_start = now;
    }
  }
}

}  // namespace

LoggerGuard::LoggerGuard(const LoggerOptions& options) : active_(std::make_shared<Active>()) {
  Active* a = active_.get();
  a->options = options;
  a->pool = std::make_shared<spdlog::details::thread_pool>(options.queue_size, 1, [a] {
    pthread_setname_np(pthread_self(), "dbg-log");
    clockid_t clock;
    if (pthread_getcpuclockid(pthread_self(), &clock) == 0) {
      a->clock = clock;
      a->has_clock.store(true, std::memory_order_release);
    }
  });
  std::vector<spdlog::sink_ptr> sinks;
  if (options.console) sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  a->file = std::make_shared<GzipRotatingFileSink>(options.directory, "dbgcoord", options.max_file_bytes, options.max_files);
  sinks.push_back(a->file);
  a->logger = std::make_shared<spdlog::async_logger>("dbgcoord", sinks.begin(), sinks.end(), a->pool,
                                                     spdlog::async_overflow_policy::overrun_oldest);
  a->logger->flush_on(spdlog::level::err);
  spdlog::set_default_logger(a->logger);
  apply(current_config());  // the spdlog level follows the enabled levels
  a->ticker = std::jthread([a](std::stop_token stop) { tick(stop, a); });
  std::lock_guard lock(active_mutex);
  active_logger = active_;
}

LoggerGuard::~LoggerGuard() {
  {
    std::lock_guard lock(active_mutex);
    active_logger.reset();
  }
  active_->ticker.request_stop();
  active_->ticker.join();
  // Not registered by name (unlike stderr_color_mt), so a second guard in one process cannot
  // collide with the first one's leftover.
  spdlog::set_default_logger(
      std::make_shared<spdlog::logger>("dbgcoord", std::make_shared<spdlog::sinks::stderr_color_sink_mt>()));
  apply(current_config());
  active_->logger->flush();
  active_->logger.reset();
  // The pool's destructor lets its thread drain the queue, then joins it.
  active_->pool.reset();
}

nlohmann::json impact() {
  std::uint64_t written = 0, dropped = 0, write_ns = 0;
  for (Level l : kLevels) {
    auto c = counters(l);
    written += c.written;
    dropped += c.dropped;
    write_ns += c.write_ns;
  }
  nlohmann::json out;
  out["lines"] = {{"written", written}, {"dropped", dropped}};
  std::shared_ptr<LoggerGuard::Active> a;
  {
    std::lock_guard lock(active_mutex);
    a = active_logger.lock();
  }
  double caller_seconds = static_cast<double>(write_ns) / 1e9;
  double thread_seconds = a && a->has_clock.load(std::memory_order_acquire) ? seconds_of(a->clock) : 0;
  out["cpu_seconds"] = {{"callers", caller_seconds},
                        {"logger_thread", a ? nlohmann::json(thread_seconds) : nlohmann::json(nullptr)}};
  if (!a) {
    out["queue"] = nullptr;
    out["bytes_written"] = nullptr;
    out["files"] = nullptr;
  } else {
    // The queue is a ring of preallocated messages (each with an inline 250-byte buffer), so
    // its memory is held from the start whatever the traffic.
    out["queue"] = {{"capacity", a->options.queue_size},
                    {"entries", a->pool->queue_size()},
                    {"reserved_bytes", (a->options.queue_size + 1) * sizeof(spdlog::details::async_msg)},
                    {"overruns", a->pool->overrun_counter()}};
    out["bytes_written"] = {{"file", a->file->bytes_written()},
                            {"console", a->options.console ? nlohmann::json(a->file->bytes_written()) : nlohmann::json(0)}};
    out["files"] = {{"directory", a->options.directory.string()},
                    {"rotations", a->file->rotations()},
                    {"compressed_in_bytes", a->file->compressed_in()},
                    {"compressed_out_bytes", a->file->compressed_out()},
                    {"compression_failures", a->file->compression_failures()}};
  }
  // What a dropped line would have cost, had it been written: the mean of the written ones.
  double bytes_per_line = a && written ? static_cast<double>(a->file->bytes_written()) / static_cast<double>(written) : 0;
  double cpu_per_line = written ? (caller_seconds + thread_seconds) / static_cast<double>(written) : 0;
  out["sampling_saved"] = {{"lines", dropped},
                           {"estimated_bytes", static_cast<std::uint64_t>(bytes_per_line * static_cast<double>(dropped))},
                           {"estimated_cpu_seconds", cpu_per_line * static_cast<double>(dropped)}};
  return out;
}

void register_metrics() {
  static std::once_flag once;
  std::call_once(once, [] {
    metrics::global().add_collector([](metrics::Exposition& out) {
      using Type = metrics::Exposition::Type;
      out.family("dbgcoord_log_lines_written_total", "Log lines written, by level.", Type::counter);
      for (Level l : kLevels) out.sample("dbgcoord_log_lines_written_total", {{"level", std::string(name(l))}}, static_cast<double>(counters(l).written));
      out.family("dbgcoord_log_lines_dropped_total", "Log lines dropped by sampling or a disabled level, by level.", Type::counter);
      for (Level l : kLevels) out.sample("dbgcoord_log_lines_dropped_total", {{"level", std::string(name(l))}}, static_cast<double>(counters(l).dropped));
      std::shared_ptr<LoggerGuard::Active> a;
      {
        std::lock_guard lock(active_mutex);
        a = active_logger.lock();
      }
      if (!a) return;
      out.counter("dbgcoord_log_bytes_written_total", "Bytes written to the log file.", static_cast<double>(a->file->bytes_written()));
      out.counter("dbgcoord_log_queue_overruns_total", "Queued log lines overwritten because the queue was full.",
                  static_cast<double>(a->pool->overrun_counter()));
      out.gauge("dbgcoord_log_queue_entries", "Log lines waiting in the asynchronous queue.", static_cast<double>(a->pool->queue_size()));
    });
  });
}

}  // namespace dbg::coord::logging
