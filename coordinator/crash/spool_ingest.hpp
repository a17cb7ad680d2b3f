#pragma once
// SpoolIngest: the handler's finished reports (<crash dir>/spool/new/*.json) become error events.
// One thread of its own: it scans spool/new at start, then again whenever inotify says a file
// arrived there (IN_MOVED_TO | IN_CLOSE_WRITE) and every 2 s anyway (the fallback: a missed or
// overflowed event, a spool dir created later). Each report is parsed (crash_report.hpp) and
// handed to the sink; its file is unlinked only once the sink says the event is stored, so a
// coordinator killed in between reads it again at the next start, and the ingest key skips it
// then. A malformed report is moved to spool/bad/ with a warning. The drop counters
// (spool/counters.json) are taken at every scan.
#include <atomic>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "coordinator/crash/crash_report.hpp"
#include "coordinator/crash/drop_counters.hpp"
#include "dbg/unique_fd.hpp"

namespace dbg::coord::crash {

class SpoolIngest {
 public:
  // stored: the event is committed (or was already: a known key), so the file may go; false:
  // not stored (the store refused it), the file is tried again at a later scan.
  using Done = std::function<void(bool stored)>;
  using Sink = std::function<void(CoreReport, Done)>;
  using DroppedSink = std::function<void(std::vector<DroppedCount>)>;

  static constexpr std::size_t kMaxInFlight = 32;  // reports handed over and not yet stored
  static constexpr int kRescanMs = 2000;

  SpoolIngest(std::filesystem::path crash_dir, Sink sink, DroppedSink dropped);
  ~SpoolIngest();  // stop()
  SpoolIngest(const SpoolIngest&) = delete;
  SpoolIngest& operator=(const SpoolIngest&) = delete;

  void start();
  // Joins the thread; reports handed over and not yet stored keep their files (read again at
  // the next start). Idempotent.
  void stop();
  // Scan now (tests, and after an install created the spool).
  void poke();

  std::size_t depth() const { return depth_.load(); }  // files in spool/new at the last scan

 private:
  void run();
  void scan();
  void ingest_file(const std::string& name);
  void watch_dir();  // adds the inotify watch once spool/new exists

  const std::filesystem::path crash_dir_, new_dir_, bad_dir_;
  Sink sink_;
  DroppedSink dropped_;
  UniqueFd inotify_, wake_;  // wake_: an eventfd that stop() and poke() write
  int watch_ = -1;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> depth_{0};
  // File names handed to the sink, not yet done. Shared with the sink's callbacks, which may
  // come from the store thread after this object is gone (a stop with writes queued).
  struct InFlight {
    std::mutex mutex;
    std::set<std::string> names;
  };
  std::shared_ptr<InFlight> in_flight_ = std::make_shared<InFlight>();
};

}  // namespace dbg::coord::crash
