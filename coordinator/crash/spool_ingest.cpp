#include "coordinator/crash/spool_ingest.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "coordinator/crash/crash_metrics.hpp"

namespace dbg::coord::crash {

namespace fs = std::filesystem;

namespace {

// Only the handler's names: "<id>.json", no dot files, no path tricks.
bool report_name(const std::string& n) {
  return n.size() > 5 && n.size() < 256 && n[0] != '.' && n.compare(n.size() - 5, 5, ".json") == 0 &&
         n.find('/') == std::string::npos;
}

// The file's bytes, or an error message: a regular file (never a symlink), at most the bound.
bool read_report(const fs::path& path, std::string& text, std::string& why) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd.valid()) {
    why = std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    errno = EINVAL;
    why = "not a regular file";
    return false;
  }
  if (static_cast<std::size_t>(st.st_size) > kMaxReportBytes) {
    errno = EFBIG;
    why = "over " + std::to_string(kMaxReportBytes) + " bytes";
    return false;
  }
  text.assign(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::read(fd.get(), text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  text.resize(off);
  return true;
}

}  // namespace

SpoolIngest::SpoolIngest(fs::path crash_dir, Sink sink, DroppedSink dropped)
    : crash_dir_(std::move(crash_dir)),
      new_dir_(crash_dir_ / "spool" / "new"),
      bad_dir_(crash_dir_ / "spool" / "bad"),
      sink_(std::move(sink)),
      dropped_(std::move(dropped)),
      inotify_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)),
      wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

SpoolIngest::~SpoolIngest() { stop(); }

void SpoolIngest::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "dbg-crash-spool");
    run();
  });
}

void SpoolIngest::stop() {
  stopping_ = true;
  poke();
  if (thread_.joinable()) thread_.join();
}

void SpoolIngest::poke() {
  if (!wake_.valid()) return;
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_.get(), &one, sizeof one);
}

void SpoolIngest::watch_dir() {
  if (watch_ >= 0 || !inotify_.valid()) return;
  watch_ = ::inotify_add_watch(inotify_.get(), new_dir_.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR);
}

void SpoolIngest::run() {
  while (!stopping_) {
    watch_dir();
    scan();
    pollfd fds[2] = {{wake_.get(), POLLIN, 0}, {inotify_.get(), POLLIN, 0}};
    int n = ::poll(fds, 2, kRescanMs);
    if (n < 0 && errno != EINTR) {
      spdlog::warn("crash spool: poll failed: {}", std::strerror(errno));
      ::usleep(kRescanMs * 1000);
    }
    // Drain both: what arrived does not matter, a scan follows.
    char buf[4096];
    while (inotify_.valid() && ::read(inotify_.get(), buf, sizeof buf) > 0) {
    }
    uint64_t v;
    while (wake_.valid() && ::read(wake_.get(), &v, sizeof v) > 0) {
    }
  }
}

void SpoolIngest::scan() {
  if (dropped_) {
    auto counts = take_counters(crash_dir_ / "spool");
    if (!counts.empty()) dropped_(std::move(counts));
  }
  std::vector<std::string> names;
  {
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(new_dir_.c_str()), ::closedir);
    if (!dir) {
      depth_ = 0;
      crash_metrics().spool_depth.set(0);
      return;
    }
    while (dirent* e = ::readdir(dir.get())) {
      std::string n = e->d_name;
      if (report_name(n)) names.push_back(std::move(n));
    }
  }
  depth_ = names.size();
  crash_metrics().spool_depth.set(static_cast<double>(names.size()));
  // Oldest first: ids start with the boot id, then pid and time; good enough for an order.
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    if (stopping_) return;
    {
      std::lock_guard lock(in_flight_->mutex);
      if (in_flight_->names.size() >= kMaxInFlight) return;  // the rest at the next scan
      if (!in_flight_->names.insert(n).second) continue;
    }
    ingest_file(n);
  }
}

void SpoolIngest::ingest_file(const std::string& name) {
  const fs::path path = new_dir_ / name;
  auto release = [flight = in_flight_, name] {
    std::lock_guard lock(flight->mutex);
    flight->names.erase(name);
  };
  std::string text, why;
  if (!read_report(path, text, why)) {
    if (errno == ENOENT) return release();
    spdlog::warn("crash spool: {} unreadable ({}): moved to spool/bad", path.string(), why);
    std::error_code ec;
    fs::create_directories(bad_dir_, ec);
    if (::rename(path.c_str(), (bad_dir_ / name).c_str()) != 0) ::unlink(path.c_str());
    crash_metrics().reports_bad.inc();
    return release();
  }
  auto report = parse_core_report(text);
  if (!report) {
    spdlog::warn("crash spool: {} is malformed ({}): moved to spool/bad", path.string(), report.error().message);
    std::error_code ec;
    fs::create_directories(bad_dir_, ec);
    if (::rename(path.c_str(), (bad_dir_ / name).c_str()) != 0) ::unlink(path.c_str());
    crash_metrics().reports_bad.inc();
    return release();
  }
  sink_(std::move(report.value()), [path, release](bool stored) {
    // Unlinked before the name is released: a scan in between must not hand it over again.
    if (stored) ::unlink(path.c_str());
    release();
    if (!stored) spdlog::warn("crash spool: {} not stored; tried again at the next scan", path.string());
  });
}

}  // namespace dbg::coord::crash
