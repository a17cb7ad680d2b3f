#include "coordinator/crash/core_pattern.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "dbg/unique_fd.hpp"

namespace dbg::coord::crash {

namespace {

constexpr std::string_view kSpecifiers = " %P %i %I %s %c %d %t %u %g %p %h %e %E";

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

bool has_space(const std::string& s) { return s.find_first_of(" \t\n") != std::string::npos; }

// The first two words after `|`: the program and its first argument.
struct PipeHead {
  std::string program, first, second;
};
PipeHead pipe_head(std::string_view pattern) {
  std::istringstream in{std::string(pattern.substr(1))};
  PipeHead h;
  in >> h.program >> h.first >> h.second;
  return h;
}

bool is_dbg_worker_core(std::string_view pattern) {
  if (pattern.empty() || pattern.front() != '|') return false;
  auto h = pipe_head(pattern);
  return std::filesystem::path(h.program).filename() == "dbg-worker" && h.first == "core";
}

}  // namespace

Result<std::string> handler_pattern(const std::filesystem::path& worker, const std::filesystem::path& crash_dir) {
  if (!worker.is_absolute() || !crash_dir.is_absolute())
    return Error{"bad_request", "the handler and the crash directory must be absolute paths"};
  if (has_space(worker.string()) || has_space(crash_dir.string()))
    return Error{"bad_request", "core_pattern is split on spaces: the paths of dbg-worker (" + worker.string() +
                                    ") and the crash directory (" + crash_dir.string() + ") must not contain any"};
  std::string pattern = "|" + worker.string() + " core " + crash_dir.string() + std::string(kSpecifiers);
  if (pattern.size() > kMaxCorePattern)
    return Error{"bad_request", "the handler's core_pattern would be " + std::to_string(pattern.size()) +
                                    " bytes, over the kernel's " + std::to_string(kMaxCorePattern) +
                                    ": use a shorter --crash-dir (or install dbg-worker under a shorter path)"};
  return pattern;
}

PatternOwner classify_pattern(std::string_view current, std::string_view ours) {
  current = trimmed(current);
  if (current == trimmed(ours)) return PatternOwner::ours;
  if (!current.empty() && current.front() == '@') return PatternOwner::socket;
  if (is_dbg_worker_core(current)) {
    // Our own program and crash dir with other specifiers (an older dbgcoord) is still ours.
    auto a = pipe_head(current), b = pipe_head(ours);
    if (a.program == b.program && a.second == b.second) return PatternOwner::ours;
    return PatternOwner::other_instance;
  }
  return PatternOwner::chainable;
}

std::string describe_owner(std::string_view current) {
  current = trimmed(current);
  if (!current.empty() && current.front() == '@')
    return "a coredump socket (" + std::string(current) + "), which cannot be chained: its server identifies "
           "the crashing process from the connecting one";
  if (is_dbg_worker_core(current))
    return "another dbgcoord's crash handler (crash dir " + pipe_head(current).second + ")";
  return "\"" + std::string(current) + "\"";
}

Result<std::string> read_core_pattern(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return Error{"forbidden", "cannot read " + file.string() + ": " + std::strerror(errno)};
  std::string value((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!value.empty() && value.back() == '\n') value.pop_back();
  return value;
}

Result<void> write_core_pattern(const std::string& value, const std::filesystem::path& file) {
  // One write(2) of the whole value: the kernel takes each write as the new pattern.
  UniqueFd fd(::open(file.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd.valid()) {
    int err = errno;
    std::string why = "cannot open " + file.string() + " for writing: " + std::strerror(err);
    if (err == EACCES || err == EPERM || err == EROFS) return Error{"forbidden", why + " (core mode needs root and a writable /proc/sys)"};
    return Error{"internal", why};
  }
  std::string line = value + "\n";
  ssize_t n = ::write(fd.get(), line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) {
    int err = errno;
    std::string why = "writing " + file.string() + " failed: " + std::strerror(err);
    if (err == EACCES || err == EPERM || err == EROFS) return Error{"forbidden", why};
    return Error{"internal", why};
  }
  return {};
}

}  // namespace dbg::coord::crash
