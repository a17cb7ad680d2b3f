#include "worker/server/job_server.hpp"

#include <poll.h>
#include <unistd.h>

#include <iostream>
#include <string>

#include "dbg/profile.hpp"
#include "dbg/protocol.hpp"
#include "dbg/snapshot.hpp"
#include "worker/profile/profile_sampler.hpp"
#include "worker/ptrace/tracee.hpp"
#include "worker/snapshot/snapshotter.hpp"

namespace dbg::worker {

namespace {

std::string id_of(const std::string& line) {
  if (auto j = protocol::parse_bounded_json(line); j && j.value().is_object() && j.value().contains("id") &&
                                                   j.value()["id"].is_string())
    return j.value()["id"];
  return {};
}

// While a long job runs, the coordinator may write to us: a cancel for that job, or a ping.
// Lines are read only when whole ones are there (the stream's buffer, or the pipe readable: the
// coordinator writes a line in one write), so polling never blocks a tick.
class InboxProbe {
 public:
  InboxProbe(std::istream& in, std::ostream& out, std::string job_id) : in_(in), out_(out), job_id_(std::move(job_id)) {}

  // True when the job should stop: cancelled, or stdin closed (the coordinator is gone).
  bool should_stop() {
    while (!stop_ && line_waiting()) {
      std::string line;
      if (!std::getline(in_, line)) {
        stop_ = true;
        break;
      }
      if (line.empty()) continue;
      auto req = protocol::parse_request(line);
      if (!req) {
        out_ << protocol::error_line(id_of(line), req.error()) << '\n' << std::flush;
      } else if (req.value().kind == "cancel" && req.value().job == job_id_) {
        // Answered by the job's own result (what was collected), not by a line of its own.
        stop_ = true;
      } else if (req.value().kind == "ping") {
        out_ << protocol::pong_line(req.value().id) << '\n' << std::flush;
      } else {
        out_ << protocol::error_line(req.value().id, Error{"busy", "job " + job_id_ + " is running"}) << '\n' << std::flush;
      }
    }
    return stop_;
  }

 private:
  bool line_waiting() {
    if (in_.rdbuf()->in_avail() > 0) return true;
    if (&in_ != &std::cin) return false;
    pollfd p{STDIN_FILENO, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;  // POLLHUP too: getline then sees EOF
  }

  std::istream& in_;
  std::ostream& out_;
  std::string job_id_;
  bool stop_ = false;
};

std::string run_profile(const protocol::JobRequest& req, std::istream& in, std::ostream& out, ProfileSampler& sampler) {
  auto options = parse_profile_options(req.options);
  if (!options) return protocol::error_line(req.id, options.error());
  InboxProbe inbox(in, out, req.id);
  ProfileHooks hooks;
  hooks.should_stop = [&inbox] { return inbox.should_stop(); };
  hooks.on_progress = [&out, &req](const nlohmann::json& progress) {
    out << protocol::progress_line(req.id, progress) << '\n' << std::flush;
  };
  auto profile = sampler.run(req.pid, options.value(), hooks);
  if (!profile) return protocol::error_line(req.id, profile.error());
  return protocol::result_line(req.id, nlohmann::json(profile.value()));
}

std::string handle(const std::string& line, std::istream& in, std::ostream& out, Snapshotter& snapshotter,
                   ProfileSampler& sampler) {
  auto request = protocol::parse_request(line);
  // Answer with the id if the line had one, so the coordinator can match the failure.
  if (!request) return protocol::error_line(id_of(line), request.error());
  const auto& req = request.value();
  if (req.kind == "ping") return protocol::pong_line(req.id);
  // A cancel that arrives between jobs is late (its job already answered): nothing to stop.
  if (req.kind == "cancel") return protocol::error_line(req.id, Error{"not_running", "job " + req.job + " is not running"});
  if (req.kind == "profile") return run_profile(req, in, out, sampler);
  auto options = protocol::parse_snapshot_options(req.options);
  if (!options) return protocol::error_line(req.id, options.error());
  auto snap = snapshotter.snapshot(req.pid, options.value());
  if (!snap) return protocol::error_line(req.id, snap.error());
  return protocol::snapshot_result_line(req.id, snap.value());
}

}  // namespace

int serve(std::istream& in, std::ostream& out, Snapshotter& snapshotter) {
  out << protocol::hello_line(static_cast<int>(::getpid())) << '\n' << std::flush;
  ProfileSampler sampler;
  std::string line;
  for (;;) {
    // A tracee that never stopped (typically a thread already exiting, or a process exiting or
    // exec'ing while it was captured) is still ours until we wait for it: its process cannot be
    // reaped by its parent, and an exec in it cannot finish, while we hold it. So an idle worker
    // keeps collecting them instead of sleeping on stdin until the next job (found by
    // coordinator_hostile_targets_test: targets that exited during a capture stayed zombies
    // held by the idle worker). Only for our own stdin, the one serve() is given in practice.
    while (&in == &std::cin && lingering_count() > 0 && in.rdbuf()->in_avail() <= 0) {
      pollfd p{STDIN_FILENO, POLLIN, 0};
      if (::poll(&p, 1, 10) != 0) break;  // input, EOF or error: getline handles it
      release_lingering();
    }
    if (!std::getline(in, line)) break;
    if (line.empty()) continue;
    std::string answer;
    try {
      answer = handle(line, in, out, snapshotter, sampler);
    } catch (const std::exception& e) {
      // A bug in one job must not take the worker (and its caches) down.
      answer = protocol::error_line("", Error{"internal", e.what()});
    }
    out << answer << '\n' << std::flush;
    release_lingering();
  }
  return 0;
}

}  // namespace dbg::worker
