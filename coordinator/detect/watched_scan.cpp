#include "coordinator/detect/watched_scan.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <algorithm>
#include <atomic>
#include <map>
#include <spdlog/spdlog.h>
#include <string>

#include "coordinator/detect/detector.hpp"

namespace dbg::coord::detect {

namespace asio = boost::asio;

struct WatchedScan::State : std::enable_shared_from_this<State> {
  State(asio::any_io_executor io, std::chrono::seconds i, Detector& d, ListPids l, OnFinding f)
      : strand(asio::make_strand(io)), timer(strand), interval(i), detector(d), list_pids(std::move(l)),
        on_finding(std::move(f)) {}

  asio::strand<asio::any_io_executor> strand;
  asio::steady_timer timer;
  std::chrono::seconds interval;
  Detector& detector;
  ListPids list_pids;
  OnFinding on_finding;
  bool stopped = false;
  size_t in_flight = 0;
  std::map<int, std::string> last_reported;  // pid -> key of the finding last reported
  // Written on the strand, read by stats() from any thread.
  std::atomic<uint64_t> rounds{0}, checks{0}, failed{0}, findings_reported{0};

  static std::string key_of(const std::vector<Finding>& findings) {
    std::string key;
    for (const auto& f : findings) {
      key += f.kind + ":";
      for (const auto& t : f.threads) key += std::to_string(t.tid) + ",";
      for (uint64_t m : f.mutexes) key += hex(m) + ",";
      key += ";";
    }
    return key;
  }

  void arm() {
    if (stopped) return;
    timer.expires_after(interval);
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->round();
    });
  }

  void round() {
    if (stopped) return;
    ++rounds;
    list_pids([self = shared_from_this()](std::vector<int> pids) {
      asio::post(self->strand, [self, pids = std::move(pids)] { self->check_all(pids); });
    });
  }

  void check_all(const std::vector<int>& pids) {
    // Forget pids no longer watched: a new process with a recycled pid starts fresh.
    for (auto it = last_reported.begin(); it != last_reported.end();) {
      it = std::find(pids.begin(), pids.end(), it->first) == pids.end() ? last_reported.erase(it) : std::next(it);
    }
    if (pids.empty()) return arm();
    in_flight = pids.size();
    // Two consecutive captures: the deadlock check reads the second, the busy-hang check
    // compares both (same stacks, runnable, CPU used in between).
    DetectOptions options;
    options.deadlock = true;
    options.hang = true;
    options.hang_snapshots = kMinHangSnapshots;
    for (int pid : pids) {
      detector.run(pid, options, worker_options(nlohmann::json::object()), std::chrono::seconds(30),
                   [self = shared_from_this(), pid](Result<DetectOutcome> r) {
                     asio::post(self->strand, [self, pid, r = std::move(r)]() mutable { self->on_result(pid, std::move(r)); });
                   });
    }
  }

  void on_result(int pid, Result<DetectOutcome> r) {
    if (!r) {
      // process_gone between listing and checking is normal (it exited, or is dying of a crash).
      ++failed;
      spdlog::debug("scheduled deadlock check of {} failed: {}: {}", pid, r.error().code, r.error().message);
    } else {
      std::string key = key_of(r->findings);
      if (!r->findings.empty() && last_reported[pid] != key) {
        detector.report(r->findings, pid, r->snapshot.comm);
        if (on_finding) {
          for (const auto& f : r->findings) on_finding(pid, f);
        }
        findings_reported += r->findings.size();
        spdlog::warn("scheduled check{}: {} ({}) {}", r->from_watcher ? " (watcher capture)" : "", pid, r->snapshot.comm,
                     r->findings.front().message);
      }
      last_reported[pid] = key;
    }
    ++checks;
    if (--in_flight == 0) arm();
  }
};

WatchedScan::WatchedScan(asio::any_io_executor io, std::chrono::seconds interval, Detector& detector, ListPids list_pids,
                         OnFinding on_finding)
    : state_(std::make_shared<State>(std::move(io), interval, detector, std::move(list_pids), std::move(on_finding))) {}

WatchedScan::~WatchedScan() { stop(); }

void WatchedScan::start() {
  if (state_->interval.count() <= 0) return;
  asio::post(state_->strand, [s = state_] { s->arm(); });
}

WatchedScanStats WatchedScan::stats() const {
  return WatchedScanStats{state_->rounds.load(), state_->checks.load(), state_->failed.load(),
                          state_->findings_reported.load()};
}

void WatchedScan::stop() {
  asio::post(state_->strand, [s = state_] {
    s->stopped = true;
    s->timer.cancel();
  });
}

}  // namespace dbg::coord::detect
