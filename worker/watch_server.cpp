#include "watch_server.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

#include "dbg/protocol.hpp"
#include "dbg/unique_fd.hpp"
#include "snapshotter.hpp"
#include "watch_protocol.hpp"
#include "watch_tracer.hpp"

namespace dbg::worker {

namespace {

// Lines read by the reader thread, handed to the tracing thread.
class Inbox {
 public:
  Inbox() : wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  int fd() const { return wake_.get(); }
  void push(std::string line) {
    {
      std::lock_guard lock(mutex_);
      lines_.push_back(std::move(line));
    }
    signal();
  }
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    signal();
  }
  // Everything queued; `closed` says whether stdin has ended.
  std::deque<std::string> take(bool& closed) {
    uint64_t count = 0;
    while (::read(wake_.get(), &count, sizeof count) > 0) {
    }
    std::lock_guard lock(mutex_);
    closed = closed_;
    return std::exchange(lines_, {});
  }

 private:
  void signal() {
    uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
  }
  UniqueFd wake_;
  std::mutex mutex_;
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
  // Block SIGCHLD before the reader thread exists, so that it inherits the mask: the signal
  // must reach the signalfd, not a default action or another thread's sigtimedwait.
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &chld, nullptr);
  UniqueFd sigfd(::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigfd.valid()) {
    std::cerr << "dbg-worker: signalfd: " << std::strerror(errno) << "\n";
    return 1;
  }

  // Every signal a watched process receives waits in a ptrace stop until this process has run:
  // on a busy machine the wait for a CPU dominates that stop. A higher scheduling weight
  // (nice -10; refused without CAP_SYS_NICE, which is harmless) shortens it. The watcher sleeps
  // in poll() between events, so it cannot hog a CPU with the weight.
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
      pollfd fds[2] = {{sigfd.get(), POLLIN, 0}, {inbox.fd(), POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0 && errno != EINTR) break;
      if (fds[0].revents & POLLIN) {
        signalfd_siginfo si;
        while (::read(sigfd.get(), &si, sizeof si) > 0) {
        }
      }
      tracer.drain();
      // Most wake-ups are tracee stops (every signal a watched process gets): skip the inbox
      // then, every syscall here lengthens the stop.
      if (!(fds[1].revents & POLLIN)) continue;
      for (auto& line : inbox.take(closed)) {
        try {
          handle_line(line, tracer, snapshotter, emit);
        } catch (const std::exception& e) {
          // One bad request must not end every watch.
          emit(protocol::error_line(request_id_of(line), Error{"internal", e.what()}));
        }
        tracer.drain();
      }
    }
    tracer.release_all(std::chrono::seconds(2));
  }
  reader.join();
  return 0;
}

}  // namespace dbg::worker
