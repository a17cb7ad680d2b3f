#include "worker/watch/watch_server.hpp"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

#include "dbg/protocol.hpp"
#include "worker/snapshot/snapshotter.hpp"
#include "worker/watch/watch_protocol.hpp"
#include "worker/watch/watch_tracer.hpp"

namespace dbg::worker {

namespace {

// Lines read by the reader thread, handed to the tracing thread.
//
// The tracing thread sleeps in waitpid(-1), not in poll(): a signal to a watched process then
// costs it one wake-up and two syscalls (waitpid, PTRACE_CONT), about 30 % less stop time than
// a signalfd + poll loop (bench/run_watch_bench.sh). waitpid cannot also wait for a pipe, so a
// request wakes it the way waitpid understands: the reader thread starts a child that exits at
// once (the doorbell). Its exit stays pending until waited for, so a request that arrives just
// before the tracing thread blocks is not missed, as a signal could be.
class Inbox {
 public:
  void push(std::string line) {
    {
      std::lock_guard lock(mutex_);
      lines_.push_back(std::move(line));
      pending_.store(true, std::memory_order_release);
    }
    wake();
  }
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      pending_.store(true, std::memory_order_release);
    }
    wake();
  }
  // Cheap enough to ask before every wait: no syscall.
  bool has_pending() const { return pending_.load(std::memory_order_acquire); }
  // Everything queued; `closed` says whether stdin has ended.
  std::deque<std::string> take(bool& closed) {
    std::lock_guard lock(mutex_);
    pending_.store(false, std::memory_order_relaxed);
    closed = closed_;
    return std::exchange(lines_, {});
  }
  // For when there is nothing to waitpid for (no tracee, no doorbell): sleep until a request.
  void wait_for_pending() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [this] { return pending_.load(std::memory_order_relaxed); });
  }

 private:
  void wake() {
    ready_.notify_one();
    ring_doorbell();
  }
  static void ring_doorbell() {
    // vfork: no copy of the page tables; the child only exits. Retried because a request that
    // wakes nobody would wait for the next event of some watched process.
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (start_exiting_child()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::cerr << "dbg-worker watch: cannot start the doorbell child: " << std::strerror(errno) << "\n";
  }

  // Kept out of line so that no local of the caller lives across the vfork.
  [[gnu::noinline]] static bool start_exiting_child() {
    pid_t child = ::vfork();
    if (child == 0) ::_exit(0);
    return child > 0;
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::atomic<bool> pending_{false};
  std::deque<std::string> lines_;
  bool closed_ = false;
};

std::string request_id_of(const std::string& line) {
  auto j = protocol::parse_bounded_json(line);
  if (j && j.value().is_object() && j.value().contains("id") && j.value()["id"].is_string()) return j.value()["id"];
  return {};
}

void handle_line(const std::string& line, WatchTracer& tracer, Snapshotter& snapshotter, const WatchTracer::Emit& emit) {
  auto request = parse_watch_request(line);
  if (!request) return emit(protocol::error_line(request_id_of(line), request.error()));
  const auto& req = request.value();
  if (req.kind == "ping") return emit(watch_pong_line(req.id, tracer.watched()));
  if (req.kind == "capture") {
    auto captured = tracer.capture(req.pid, req.snapshot.stack_bytes);
    if (!captured) return emit(protocol::error_line(req.id, captured.error()));
    // Unwinding runs while the target runs again; between threads the stops of the other
    // watched processes are served (drain), so their signals wait for one thread's unwind at
    // most, not for the whole snapshot's.
    Snapshot snap = snapshotter.unwind_capture(captured.value(), req.snapshot, [&tracer] { tracer.drain(); });
    return emit(protocol::snapshot_result_line(req.id, snap));
  }
  if (req.kind == "watch_add") {
    auto added = tracer.add(req.pid, req.options);
    return emit(added ? protocol::result_line(req.id, added.value()) : protocol::error_line(req.id, added.error()));
  }
  // watch_remove: the result comes from the tracer once every thread is released.
  if (auto removed = tracer.remove(req.pid, req.id); !removed) emit(protocol::error_line(req.id, removed.error()));
}

}  // namespace

int run_watch_server(std::istream& in, std::ostream& out) {
  // SIGCHLD stays blocked in every thread (the reader inherits the mask): the tracing thread
  // learns of stops from waitpid, and the crash capture's sigtimedwait(SIGCHLD) takes it from
  // the pending set; it must never run a default action or wake another thread's syscalls.
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &chld, nullptr);

  // Every signal a watched process receives waits in a ptrace stop until this process has run:
  // on a busy machine the wait for a CPU dominates that stop. A higher scheduling weight
  // (nice -10; refused without CAP_SYS_NICE, which is harmless) shortens it. The watcher sleeps
  // in waitpid() between events, so it cannot hog a CPU with the weight.
  if (::setpriority(PRIO_PROCESS, 0, -10) != 0) {
    // Not fatal: the watch works the same, stops are only longer under load.
  }
  WatchTracer::Emit emit = [&out](const std::string& line) { out << line << '\n' << std::flush; };
  emit(protocol::hello_line(static_cast<int>(::getpid())));

  Inbox inbox;
  // std::cin is tied to std::cout: every read would flush cout from the reader thread while the
  // tracing thread writes to it (a data race that duplicated lines). Untie them.
  in.tie(nullptr);
  std::thread reader([&in, &inbox] {
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) inbox.push(std::move(line));
    }
    inbox.close();
  });

  {
    WatchTracer tracer(emit);
    Snapshotter snapshotter;  // its caches (ELF files, symbols, libdw sessions) serve every capture
    bool closed = false;
    while (!closed) {
      if (inbox.has_pending()) {
        for (auto& line : inbox.take(closed)) {
          try {
            handle_line(line, tracer, snapshotter, emit);
          } catch (const std::exception& e) {
            // One bad request must not end every watch.
            emit(protocol::error_line(request_id_of(line), Error{"internal", e.what()}));
          }
          tracer.drain();
        }
        continue;
      }
      if (tracer.wait_and_handle() == WatchTracer::WaitOutcome::kNothingToWaitFor) inbox.wait_for_pending();
    }
    tracer.release_all(std::chrono::seconds(2));
  }
  reader.join();
  return 0;
}

}  // namespace dbg::worker
