#include "worker/core/core_counters.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "dbg/protocol.hpp"
#include "dbg/unique_fd.hpp"
#include "dbg/utf8.hpp"
#include "worker/core/core_slots.hpp"

namespace dbg::worker::core {

namespace {

using nlohmann::json;

// Only well-formed entries survive a rewrite: a damaged file loses what it cannot say, not the
// counts it can.
bool valid_entry(const json& e) {
  return e.is_object() && e.contains("exe") && e["exe"].is_string() && e.contains("comm") && e["comm"].is_string() &&
         e.contains("signal") && e["signal"].is_number_integer() && e.contains("count") &&
         e["count"].is_number_unsigned() && e.contains("first_ms") && e["first_ms"].is_number_integer() &&
         e.contains("last_ms") && e["last_ms"].is_number_integer();
}

constexpr size_t kMaxCountersBytes = size_t{16} << 20;

}  // namespace

std::string add_dropped(std::string_view current, const DroppedCrash& crash) {
  json entries = json::array();
  json parsed = json::parse(current, nullptr, false);
  if (!parsed.is_discarded() && parsed.is_object() && parsed.contains("dropped") && parsed["dropped"].is_array()) {
    for (auto& e : parsed["dropped"]) {
      if (valid_entry(e) && entries.size() < kMaxCounterEntries + 1) entries.push_back(std::move(e));
    }
  }
  std::string exe = crash.exe, comm = crash.comm;
  utf8_cut_bytes(exe, 1024);
  utf8_cut_bytes(comm, 64);
  int signal = crash.signal;
  auto find = [&](const std::string& x, int sig) -> json* {
    for (auto& e : entries) {
      if (e["exe"] == x && e["signal"] == sig) return &e;
    }
    return nullptr;
  };
  json* entry = find(exe, signal);
  if (!entry) {
    size_t regular = 0;
    for (const auto& e : entries) regular += e["exe"] != "*";
    if (regular >= kMaxCounterEntries) {
      exe = comm = "*";
      signal = 0;
      entry = find(exe, signal);
    }
  }
  if (entry) {
    (*entry)["count"] = (*entry)["count"].get<uint64_t>() + 1;
    (*entry)["first_ms"] = std::min((*entry)["first_ms"].get<int64_t>(), crash.time_ms);
    (*entry)["last_ms"] = std::max((*entry)["last_ms"].get<int64_t>(), crash.time_ms);
  } else {
    entries.push_back({{"exe", exe}, {"comm", comm}, {"signal", signal}, {"count", 1},
                       {"first_ms", crash.time_ms}, {"last_ms", crash.time_ms}});
  }
  return protocol::dump({{"v", 1}, {"dropped", std::move(entries)}}) + "\n";
}

Result<void> count_dropped(const std::string& crash_dir, const DroppedCrash& crash) {
  const std::string spool = crash_dir + "/spool";
  if (!ensure_directory(spool)) return Error{"spool_failed", "cannot make " + spool};
  const std::string path = spool + "/counters.json";
  for (int attempt = 0; attempt < 10; ++attempt) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) return Error{"spool_failed", "open " + path + ": " + std::strerror(errno)};
    if (::flock(fd.get(), LOCK_EX) != 0) return Error{"spool_failed", "flock " + path + ": " + std::strerror(errno)};
    struct stat held{}, named{};
    if (::fstat(fd.get(), &held) != 0 || ::stat(path.c_str(), &named) != 0 || held.st_ino != named.st_ino ||
        held.st_dev != named.st_dev)
      continue;  // replaced while we waited for the lock: count in the file the path names now
    std::string current;
    char buf[65536];
    for (off_t at = 0;;) {
      ssize_t n = ::pread(fd.get(), buf, sizeof buf, at);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || current.size() + static_cast<size_t>(n) > kMaxCountersBytes) break;
      current.append(buf, static_cast<size_t>(n));
      at += n;
    }
    const std::string next = add_dropped(current, crash);
    if (::ftruncate(fd.get(), 0) != 0) return Error{"spool_failed", "truncate " + path + ": " + std::strerror(errno)};
    size_t done = 0;
    while (done < next.size()) {
      ssize_t n = ::pwrite(fd.get(), next.data() + done, next.size() - done, static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Error{"spool_failed", "write " + path + ": " + std::strerror(errno)};
      done += static_cast<size_t>(n);
    }
    ::fsync(fd.get());
    return {};
  }
  return Error{"spool_failed", path + " kept being replaced"};
}

}  // namespace dbg::worker::core
