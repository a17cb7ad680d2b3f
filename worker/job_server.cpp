#include "job_server.hpp"

#include <unistd.h>

#include <string>

#include "dbg/protocol.hpp"
#include "dbg/snapshot.hpp"
#include "snapshotter.hpp"
#include "tracee.hpp"

namespace dbg::worker {

namespace {

std::string handle(const std::string& line, Snapshotter& snapshotter) {
  auto request = protocol::parse_request(line);
  if (!request) {
    // Answer with the id if the line had one, so the coordinator can match the failure.
    std::string id;
    if (auto j = protocol::parse_bounded_json(line); j && j.value().is_object() && j.value().contains("id") &&
                                                      j.value()["id"].is_string())
      id = j.value()["id"];
    return protocol::error_line(id, request.error());
  }
  const auto& req = request.value();
  if (req.kind == "ping") return protocol::pong_line(req.id);
  auto options = protocol::parse_snapshot_options(req.options);
  if (!options) return protocol::error_line(req.id, options.error());
  auto snap = snapshotter.snapshot(req.pid, options.value());
  if (!snap) return protocol::error_line(req.id, snap.error());
  return protocol::snapshot_result_line(req.id, snap.value());
}

}  // namespace

int serve(std::istream& in, std::ostream& out, Snapshotter& snapshotter) {
  out << protocol::hello_line(static_cast<int>(::getpid())) << '\n' << std::flush;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::string answer;
    try {
      answer = handle(line, snapshotter);
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
