#include "worker/core/core_chain.hpp"

#include <limits.h>
#include <unistd.h>

#include <exception>
#include <fstream>
#include <sstream>

#include "worker/core/core_chain_file.hpp"
#include "worker/core/core_chain_pipe.hpp"
#include "worker/core/core_chain_stream.hpp"
#include "worker/core/core_pattern_expand.hpp"

namespace dbg::worker::core {

namespace {

std::string read_link(const std::string& path) {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// Field 39 of /proc/PID/task/TID/stat, "processor": the CPU the thread last ran on. The
// crashing thread has not run since it entered the kernel's dump, so this is the kernel's %C.
std::string last_cpu(pid_t pid, pid_t tid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return {};
  const size_t paren = line.rfind(')');  // comm may hold spaces and ')'
  if (paren == std::string::npos) return {};
  std::istringstream fields(line.substr(paren + 1));
  std::string field;
  for (int index = 3; fields >> field; ++index)
    if (index == 39) return field;
  return {};
}

// The exe and CPU the specifiers %f and %C need, read while the kernel still holds the crasher.
SpecifierFacts read_facts(const CrashArgs& args) {
  SpecifierFacts f;
  f.exe_path = read_link("/proc/" + std::to_string(args.pid) + "/exe");
  f.cpu = last_cpu(args.pid, args.tid);
  return f;
}

bool read_core_uses_pid() {
  std::ifstream in("/proc/sys/kernel/core_uses_pid");
  long v = 0;
  return static_cast<bool>(in >> v) && v != 0;
}

ChainResult dispatch(const ChainOptions& options, const std::string& previous, const CrashArgs& args,
                     CoreStream& stream) {
  const std::string_view pattern = normalize_pattern(previous);
  ChainResult r;
  r.kind = "none";
  switch (pattern_kind(pattern)) {
    case PatternKind::none:
      r.result = "ok";
      return r;
    case PatternKind::socket:
      // The kernel connects as the crasher and the server learns who crashed from the peer
      // credentials (SO_PEERPIDFD); a connection from us would name the handler instead.
      r.result = "skipped: the previous core_pattern is a coredump socket (" + std::string(pattern) +
                 "), which cannot be chained";
      return r;
    case PatternKind::pipe:
      if (is_own_handler(pattern)) {
        r.result = "skipped: the previous core_pattern is this handler (" + std::string(pattern) +
                   "); chaining to it would recurse";
        return r;
      }
      return chain_to_pipe(pattern.substr(1), args, read_facts(args), stream, options);
    case PatternKind::file:
      return chain_to_file(pattern, args, read_facts(args), stream,
                           options.core_uses_pid ? *options.core_uses_pid : read_core_uses_pid());
  }
  return r;
}

}  // namespace

ChainResult chain_core(const ChainOptions& options, const std::string& previous_pattern, const CrashArgs& args,
                       int in_fd, std::span<const uint8_t> prefix) {
  CoreStream stream(in_fd, prefix);
  ChainResult r;
  try {
    r = dispatch(options, previous_pattern, args, stream);
  } catch (const std::exception& e) {
    try {
      r.result = std::string("failed: ") + e.what();
    } catch (...) {
      r.result.clear();
    }
  } catch (...) {
    r.result.clear();
  }
  if (r.kind.empty()) r.kind = "none";
  if (r.result.empty()) r.result = "failed: internal error";
  stream.drain();  // a no-op when the chain drained; the kernel waits for it otherwise
  if (!stream.read_error().empty()) {
    try {
      r.result = "failed: reading the core from stdin: " + stream.read_error() + " after " +
                 std::to_string(stream.bytes_seen()) + " bytes (chain: " + r.result + ")";
    } catch (...) {
    }
  }
  r.core_bytes = stream.bytes_seen();
  return r;
}

ChainResult chain_core(const std::string& previous_pattern, const CrashArgs& args, int in_fd,
                       std::span<const uint8_t> prefix) {
  return chain_core(ChainOptions{}, previous_pattern, args, in_fd, prefix);
}

}  // namespace dbg::worker::core
