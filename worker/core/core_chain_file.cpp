#include "worker/core/core_chain_file.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dbg/unique_fd.hpp"
#include "worker/core/core_chain_identity.hpp"
#include "worker/core/core_file_writer.hpp"

namespace dbg::worker::core {

namespace {

std::string errno_text(const std::string& what, int err) { return what + ": " + std::strerror(err); }

// The directory a path starts from, opened as root (before the identity switch: /proc/PID/cwd
// and /proc/PID/root need ptrace-read access to the crasher, which its fsuid may lack).
Result<UniqueFd> open_start_dir(const std::string& path, const CrashArgs& args) {
  std::string dir;
  if (path[0] != '/') dir = "/proc/" + std::to_string(args.pid) + "/cwd";
  else if (args.dump_mode == 2) dir = "/";  // the kernel uses init's root, not the crasher's
  else dir = "/proc/" + std::to_string(args.pid) + "/root";
  UniqueFd fd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return Error{"io_error", errno_text("open " + dir, errno)};
  return fd;
}

// The parent directory of the core file, resolved from `start` with the crasher's identity
// already in force. An absolute path is resolved with `start` as its root (RESOLVE_IN_ROOT:
// "..", and symlinks the crasher planted, cannot leave its root); a relative one from its cwd.
Result<UniqueFd> open_parent(int start, const std::string& dir, bool absolute, const std::string& path) {
  if (dir.empty() && !absolute) {
    UniqueFd same(::fcntl(start, F_DUPFD_CLOEXEC, 0));
    if (!same.valid()) return Error{"io_error", errno_text("dup", errno)};
    return same;
  }
  const std::string target = dir.empty() ? "/" : dir;
  if (absolute) {
    open_how how{};
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT;
    const int fd = static_cast<int>(::syscall(SYS_openat2, start, target.c_str(), &how, sizeof how));
    if (fd >= 0) return UniqueFd(fd);
    if (errno != ENOSYS) return Error{"io_error", errno_text("open " + path, errno)};
  }
  // Relative, or a kernel before 5.6 (no openat2): ordinary resolution from `start`, with an
  // absolute path's leading slashes taken off so that it starts there too.
  const size_t first = absolute ? target.find_first_not_of('/') : 0;
  const std::string rel = first == std::string::npos ? std::string() : target.substr(first);
  UniqueFd fd(::openat(start, rel.empty() ? "." : rel.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return Error{"io_error", errno_text("open " + path, errno)};
  return fd;
}

// Creates the core file as the kernel does; the caller's identity switch is in force.
Result<UniqueFd> create_core_file(int parent, const std::string& name, const std::string& path, uid_t owner,
                                  bool suid_safe) {
  // The kernel unlinks first (so an old core, or a planted symlink, is replaced, never
  // followed), except in suid_safe mode, where it runs as root and must not remove another
  // user's file. A failure here shows at the open.
  if (!suid_safe) ::unlinkat(parent, name.c_str(), 0);
  UniqueFd fd(::openat(parent, name.c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC | O_LARGEFILE,
                       0600));
  if (!fd.valid()) return Error{"io_error", errno_text("open " + path, errno)};
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error{"io_error", errno_text("stat " + path, errno)};
  // The kernel's checks on the new file: a file system that cannot keep the owner or the mode
  // (vfat) would hand the core to someone else.
  if (!S_ISREG(st.st_mode) || st.st_nlink != 1) return Error{"io_error", "open " + path + ": not a new regular file"};
  if (st.st_uid != owner) return Error{"io_error", "open " + path + ": cannot preserve file owner"};
  if ((st.st_mode & 0677) != 0600) return Error{"io_error", "open " + path + ": cannot preserve file permissions"};
  return fd;
}

Result<UniqueFd> open_core_file(const std::string& path, const CrashArgs& args) {
  const bool suid_safe = args.dump_mode == 2;
  const bool absolute = path[0] == '/';
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? std::string() : path.substr(0, slash);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.empty()) return Error{"bad_request", "open " + path + ": the pattern names a directory"};

  auto start = open_start_dir(path, args);
  if (!start) return start.error();
  // suid_safe: the kernel dumps as root (it cannot trust the crasher's fsuid); otherwise as
  // the crasher, so we create nothing it could not.
  std::optional<Result<FsIdentity>> identity;
  if (!suid_safe) {
    identity.emplace(FsIdentity::enter(args.uid, args.gid, crasher_groups(args.pid, args.uid, args.gid)));
    if (!*identity) return Error{"permission_denied", "taking the crasher's identity: " + identity->error().message};
  }
  auto parent = open_parent(start->get(), dir, absolute, path);
  if (!parent) return parent.error();
  return create_core_file(parent->get(), name, path, suid_safe ? 0 : args.uid, suid_safe);
}

}  // namespace

ChainResult chain_to_file(std::string_view pattern, const CrashArgs& args, const SpecifierFacts& facts,
                          CoreStream& stream, bool core_uses_pid) {
  ChainResult r;
  r.kind = "file";
  const long page = ::sysconf(_SC_PAGESIZE);
  const uint64_t min_core = page > 0 ? static_cast<uint64_t>(page) : 4096;
  if (args.dump_mode == 0) {
    r.result = "skipped: not dumpable";
    return r;
  }
  if (args.core_limit < min_core) {
    // The kernel's minimum for an ELF core (binfmt min_coredump, a page): nothing is written.
    r.result = "skipped: RLIMIT_CORE " + std::to_string(args.core_limit);
    if (args.core_limit != 0) r.result += ", below a page (" + std::to_string(min_core) + ")";
    return r;
  }
  const std::string path = expand_file_pattern(pattern, args, facts, core_uses_pid);
  if (path.empty()) {
    r.result = "failed: the previous core_pattern expands to an empty path";
    return r;
  }
  if (args.dump_mode == 2 && path[0] != '/') {
    r.result = "skipped: dump mode 2 (suid_safe) writes only to an absolute core_pattern, not " + path;
    return r;
  }
  auto fd = open_core_file(path, args);
  if (!fd) {
    r.result = "failed: " + fd.error().message;
    return r;
  }

  SparseCoreWriter writer(fd->get(), args.core_limit, min_core);
  for (;;) {
    const auto piece = stream.next();
    if (piece.empty() || !writer.append(piece)) break;
  }
  stream.drain();  // what the limit, or a failed write, left
  if (!writer.error().empty()) {
    r.result = "failed: write " + path + ": " + writer.error();
    return r;
  }
  if (auto done = writer.finish(); !done) {
    r.result = "failed: truncate " + path + ": " + done.error().message;
    return r;
  }
  if (fd->close() != 0) {  // a deferred write error (NFS, quota) shows here
    r.result = errno_text("failed: close " + path, errno);
    return r;
  }
  const uint64_t total = stream.bytes_seen();
  if (writer.limit_reached() && total > writer.size()) {
    r.result = "ok: cut at RLIMIT_CORE " + std::to_string(args.core_limit) + ": " + std::to_string(writer.size()) +
               " of " + std::to_string(total) + " bytes in " + path;
  } else {
    r.result = "ok";
  }
  return r;
}

}  // namespace dbg::worker::core
