// logging_bench: what one log call costs the caller, through dbgcoord's selective logging and
// through plain spdlog, in one process, rounds interleaved so both see the same machine noise.
//   dropped (sampled out)    DBG_LOG_WARN at rate 0 after its first occurrence
//   dropped (level off)      DBG_LOG_DEBUG with debug disabled      | plain: spdlog::debug at level info
//   written                  DBG_LOG_INFO at rate 1, async logger   | plain: spdlog::info, same async logger
// Written messages go to the same asynchronous logger (queue 10,000, overrun_oldest, one thread,
// the gzip-rotating file sink, no console), so the difference is the sampling layer only. The
// caller's cost is measured (what a hot path pays); the logger thread's work is reported apart.
// usage: logging_bench [ROUNDS] [DROPPED_N] [WRITTEN_N]
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <thread>
#include <unistd.h>
#include <string>
#include <vector>

#include "coordinator/logging/log.hpp"
#include "coordinator/logging/logger.hpp"
#include "coordinator/logging/logging_config.hpp"

using namespace dbg::coord::logging;
using Clock = std::chrono::steady_clock;

namespace {

double ns_per_call(long n, const std::function<void(long)>& body) {
  auto t0 = Clock::now();
  body(n);
  return std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / static_cast<double>(n);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 7;
  long dropped_n = argc > 2 ? std::atol(argv[2]) : 5'000'000;
  long written_n = argc > 3 ? std::atol(argv[3]) : 5'000;  // below the queue size: no overrun
  auto dir = std::filesystem::temp_directory_path() / ("logging_bench_" + std::to_string(::getpid()));
  LoggerOptions options;
  options.directory = dir;
  options.console = false;
  options.max_file_bytes = 64 * 1024 * 1024;
  std::vector<double> ours_sampled, ours_off, plain_off, ours_written, plain_written;
  {
    LoggerGuard guard(options);
    auto config = default_config();
    config.at(Level::warning).sample_rate = 0.0;
    apply(config);
    const std::string reason = "heartbeat_missed";
    for (int r = 0; r < rounds; ++r) {
      ours_sampled.push_back(ns_per_call(dropped_n, [&](long n) {
        for (long i = 0; i < n; ++i) DBG_LOG_WARN("worker {} replaced: {}", i, reason);
      }));
      ours_off.push_back(ns_per_call(dropped_n, [&](long n) {
        for (long i = 0; i < n; ++i) DBG_LOG_DEBUG("worker {} replaced: {}", i, reason);
      }));
      plain_off.push_back(ns_per_call(dropped_n, [&](long n) {
        for (long i = 0; i < n; ++i) spdlog::debug("worker {} replaced: {}", i, reason);
      }));
      // Written: the logger thread drains between batches so the queue never overruns; which
      // of the two goes first alternates by round, so neither always meets a just-woken
      // logger thread.
      auto ours = [&] {
        ours_written.push_back(ns_per_call(written_n, [&](long n) {
          for (long i = 0; i < n; ++i) DBG_LOG_INFO("worker {} replaced: {}", i, reason);
        }));
      };
      auto plain = [&] {
        plain_written.push_back(ns_per_call(written_n, [&](long n) {
          for (long i = 0; i < n; ++i) spdlog::info("worker {} replaced: {}", i, reason);
        }));
      };
      auto drain = [] {
        spdlog::default_logger_raw()->flush();
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      };
      if (r % 2 == 0) {
        ours(), drain(), plain(), drain();
      } else {
        plain(), drain(), ours(), drain();
      }
    }
    auto impact_now = impact();
    std::printf("{\"rounds\": %d, \"dropped_n\": %ld, \"written_n\": %ld,\n", rounds, dropped_n, written_n);
    std::printf(" \"ns_per_call_median\": {\"ours_dropped_sampled\": %.2f, \"ours_dropped_level_off\": %.2f, "
                "\"plain_spdlog_dropped_level_off\": %.2f, \"ours_written\": %.1f, \"plain_spdlog_written\": %.1f},\n",
                median(ours_sampled), median(ours_off), median(plain_off), median(ours_written), median(plain_written));
    std::printf(" \"logger_thread_cpu_seconds\": %s, \"queue_overruns\": %s, \"file_bytes\": %s,\n",
                impact_now["cpu_seconds"]["logger_thread"].dump().c_str(), impact_now["queue"]["overruns"].dump().c_str(),
                impact_now["bytes_written"]["file"].dump().c_str());
    std::printf(" \"lines_written_through_sampler\": %s}\n", impact_now["lines"]["written"].dump().c_str());
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
