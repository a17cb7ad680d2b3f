#include "coordinator/detect/finding.hpp"

namespace dbg::coord::detect {

namespace {

nlohmann::json hex_or_null(const std::optional<uint64_t>& v) { return v ? nlohmann::json(hex(*v)) : nlohmann::json(nullptr); }
nlohmann::json int_or_null(const std::optional<int>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

nlohmann::json mutex_list(const Finding& f) {
  nlohmann::json out = nlohmann::json::array();
  for (uint64_t m : f.mutexes) out.push_back(hex(m));
  return out;
}

// The fields both shapes give a thread; the API adds where it stands, the error event its frames.
nlohmann::json thread_json(const FindingThread& t) {
  return {{"tid", t.tid},
          {"name", t.name},
          {"state", std::string(1, t.state)},
          {"waits_on", hex_or_null(t.waits_on)},
          {"owner", int_or_null(t.owner)}};
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

bool is_libc_frame(const Frame& f) {
  return starts_with(f.module, "libc.so") || starts_with(f.module, "libc-") || starts_with(f.module, "libpthread") ||
         starts_with(f.module, "ld-linux") || starts_with(f.module, "[vdso]");
}

std::optional<Frame> first_frame_outside_libc(const std::vector<Frame>& frames) {
  for (const auto& f : frames) {
    if (!is_libc_frame(f)) return f;
  }
  return std::nullopt;
}

nlohmann::json to_json(const Finding& f) {
  nlohmann::json threads = nlohmann::json::array();
  for (const auto& t : f.threads) {
    auto thread = thread_json(t);
    thread["where"] = t.where ? nlohmann::json(*t.where) : nlohmann::json(nullptr);
    threads.push_back(std::move(thread));
  }
  return {{"kind", f.kind},
          {"message", f.message},
          {"snapshots", f.snapshots},
          {"threads", std::move(threads)},
          {"mutexes", mutex_list(f)}};
}

errors::ErrorEvent to_error_event(const Finding& f, int pid, const std::string& comm, int64_t timestamp_ms) {
  errors::ErrorEvent e;
  e.source = "detector";
  e.kind = f.kind;
  e.type = f.kind == "deadlock" ? "DEADLOCK" : "BUSY_HANG";
  e.message = f.message.substr(0, errors::kMaxMessageChars);
  e.pid = pid;
  e.comm = comm;
  e.timestamp_ms = timestamp_ms;
  if (!f.threads.empty()) e.frames = f.threads.front().frames;
  nlohmann::json threads = nlohmann::json::array();
  for (const auto& t : f.threads) {
    auto thread = thread_json(t);
    thread["frames"] = t.frames;
    threads.push_back(std::move(thread));
  }
  e.context = {{"threads", std::move(threads)}, {"mutexes", mutex_list(f)}};
  return e;
}

}  // namespace dbg::coord::detect
