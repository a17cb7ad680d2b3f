#include "worker/core/core_args.hpp"

#include <cerrno>
#include <cstdlib>
#include <limits>

namespace dbg::worker::core {

namespace {

bool parse_u64(const std::string& s, uint64_t& out) {
  if (s.empty() || s[0] == '-' || s[0] == '+') return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (errno != 0 || end == s.c_str() || *end != '\0') return false;
  out = v;
  return true;
}

template <typename T>
bool parse_bounded(const std::string& s, T& out, uint64_t min, uint64_t max) {
  uint64_t v = 0;
  if (!parse_u64(s, v) || v < min || v > max) return false;
  out = static_cast<T>(v);
  return true;
}

}  // namespace

std::string CrashArgs::value_of(char specifier) const {
  switch (specifier) {
    case 'P': return std::to_string(pid);
    case 'i': return std::to_string(ns_tid);
    case 'I': return std::to_string(tid);
    case 's': return std::to_string(signal);
    case 'c': return std::to_string(core_limit);
    case 'd': return std::to_string(dump_mode);
    case 't': return std::to_string(time_s);
    case 'u': return std::to_string(uid);
    case 'g': return std::to_string(gid);
    case 'p': return std::to_string(ns_pid);
    case 'h': return hostname;
    case 'e': return comm;
    case 'E': return exe_bang;
    default: return std::string();
  }
}

Result<CrashArgs> parse_crash_args(const std::vector<std::string>& args) {
  const size_t expected = 3 + kSpecifierCount;
  if (args.size() != expected)
    return Error{"bad_request", "core needs the crash dir and " + std::to_string(kSpecifierCount) +
                                    " kernel values (" + kPatternSpecifiers + "), got " +
                                    std::to_string(args.size() < 3 ? 0 : args.size() - 3) + " after the dir"};
  CrashArgs a;
  a.crash_dir = args[2];
  if (a.crash_dir.empty() || a.crash_dir[0] != '/') return Error{"bad_request", "the crash dir must be absolute: " + a.crash_dir};
  const uint64_t kMaxPid = 4194304;  // PID_MAX_LIMIT on 64-bit
  const uint64_t kMaxId = std::numeric_limits<uint32_t>::max();
  const std::string* v = &args[3];
  bool ok = parse_bounded(v[0], a.pid, 1, kMaxPid) && parse_bounded(v[1], a.ns_tid, 0, kMaxPid) &&
            parse_bounded(v[2], a.tid, 1, kMaxPid) && parse_bounded(v[3], a.signal, 1, 64) &&
            parse_u64(v[4], a.core_limit) && parse_bounded(v[5], a.dump_mode, 0, 2) &&
            parse_bounded(v[6], a.time_s, 0, uint64_t{1} << 40) && parse_bounded(v[7], a.uid, 0, kMaxId) &&
            parse_bounded(v[8], a.gid, 0, kMaxId) && parse_bounded(v[9], a.ns_pid, 0, kMaxPid);
  if (!ok) return Error{"bad_request", "a kernel value is not a number in range (expected " + std::string(kPatternSpecifiers) + ")"};
  a.hostname = v[10];
  a.comm = v[11];
  a.exe_bang = v[12];
  return a;
}

}  // namespace dbg::worker::core
