#include "worker/core/core_process.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include "dbg/proc_stat.hpp"
#include "dbg/unique_fd.hpp"

namespace dbg::worker::core {

namespace {

// Files of /proc report size 0: read until EOF, at most `limit` bytes (the rest is cut, as the
// coordinator cuts it).
std::optional<std::string> read_proc(const std::string& path, size_t limit) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
  std::string out;
  char buf[4096];
  while (out.size() < limit) {
    ssize_t n = ::read(fd.get(), buf, std::min(sizeof buf, limit - out.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace

CrashedProcess read_crashed_process(const CrashArgs& args, const CoreNotes* notes) {
  CrashedProcess p;
  const std::string dir = "/proc/" + std::to_string(args.pid) + "/";
  if (auto comm = read_proc(dir + "comm", kMaxCommBytes)) {
    if (!comm->empty() && comm->back() == '\n') comm->pop_back();
    p.comm = std::move(*comm);
  } else if (notes && notes->fname) {
    p.comm = *notes->fname;
  } else {
    p.comm = args.comm;
  }
  if (auto raw = read_proc(dir + "cmdline", kMaxCmdlineBytes)) p.cmdline = procfs::cmdline_from_raw(*raw);
  char exe[4096];
  ssize_t n = ::readlink((dir + "exe").c_str(), exe, sizeof exe);
  if (n > 0 && static_cast<size_t>(n) < sizeof exe) {
    p.exe.assign(exe, static_cast<size_t>(n));
  } else {
    p.exe = args.exe_bang;
    std::replace(p.exe.begin(), p.exe.end(), '!', '/');
  }
  if (auto stat = read_proc(dir + "stat", 4096)) {
    if (auto fields = procfs::parse_stat(*stat); fields && fields->pid == args.pid) p.start_time = fields->start_time;
  }
  return p;
}

}  // namespace dbg::worker::core
