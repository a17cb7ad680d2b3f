#pragma once
// ProcessTable: the coordinator's one view of the host's processes, kept current in the
// background and read from memory by every route, by the ranking of sessions and by the match
// watches. Why: reading /proc per request costs ~37 us per process (issue #23: 77-360 ms per
// GET /api/v1/processes at 2,000 processes); a table makes a read cost what the page costs.
//
// How it stays current, on one thread of its own:
//  - the kernel's process events (procfs/proc_connector.hpp) say at once which processes were
//    born, exec'ed, renamed, changed uid or exited; those pids are re-read (coalesced over 20 ms,
//    longer on a big, busy host so that applying them stays within event_budget; a reader that
//    needs them now asks through when_current);
//  - a scan is the periodic truth: it lists /proc (membership: what the events missed), refreshes
//    every known process from its stat file (CPU and memory, for the rates of the ranking) and
//    reads new ones whole; every `full_read_every`-th scan reads every process whole (cmdline
//    rewritten by setproctitle, a setuid without events). A lost event (ENOBUFS) triggers one
//    at once. Without events (not permitted, or --proc-events off) the scans are all there is.
//  - the scan interval adapts to the host's size: the CPU time of a scan divided by the budget
//    (cpu_budget of one core), within [min_refresh, max_refresh]. At 100 processes a scan takes
//    a few milliseconds and runs every second; at 10,000 (this 2-core VM: ~80 us per process
//    read whole, less from stat alone) it runs every 55 s, the longest the rates allow.
// Readers take the latest TableSnapshot (an immutable shared_ptr swapped under a short lock).
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "coordinator/ranking/ranker.hpp"
#include "coordinator/ranking/table_snapshot.hpp"

namespace dbg::coord::ranking {

struct ProcessTableConfig {
  bool proc_events = true;  // subscribe to the kernel's process events when permitted
  std::chrono::milliseconds min_refresh{1000};
  // Below Ranker's kForgetAfter (60 s), so a process's baseline survives from scan to scan.
  std::chrono::milliseconds max_refresh{55000};
  double cpu_budget = 0.004;                     // of one core, for the scans
  unsigned full_read_every = 10;
  std::chrono::milliseconds coalesce{20};        // events wait at least this long for company
  double event_budget = 0.004;                   // of one core, for applying events (the wait grows)
  std::string proc_root = "/proc";
};

class ProcessTable {
 public:
  ProcessTable(ProcessTableConfig config, std::vector<RankRule> rules);
  ~ProcessTable();  // stops the thread
  ProcessTable(const ProcessTable&) = delete;
  ProcessTable& operator=(const ProcessTable&) = delete;

  // The first scan (so the table is whole before anyone reads it), then the thread.
  void start();
  void stop();

  // The latest version; never null after start().
  std::shared_ptr<const TableSnapshot> snapshot() const;
  // `done` gets a version that includes every process event the kernel had queued when this
  // was called: at once (on the caller's thread) when none waits, which is the usual case, else
  // on the table's thread right after they are applied. Without events: the latest version.
  void when_current(std::function<void(std::shared_ptr<const TableSnapshot>)> done);
  // The same, blocking (at most ~1 s): for callers on the blocking pool (session resolution).
  std::shared_ptr<const TableSnapshot> current();

  // The ranker the table ranks with: samples read elsewhere (a session's listed pids, read
  // fresh) are ranked against the same baselines, so their CPU rates and scores agree.
  Ranker& ranker() { return ranker_; }
  bool events_enabled() const { return events_ok_.load(); }

 private:
  struct Impl;
  Ranker ranker_;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> events_ok_{false};
};

}  // namespace dbg::coord::ranking
