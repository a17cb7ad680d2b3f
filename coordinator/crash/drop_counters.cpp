#include "coordinator/crash/drop_counters.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "dbg/protocol.hpp"
#include "dbg/unique_fd.hpp"

namespace dbg::coord::crash {

namespace {

constexpr std::size_t kMaxCountersBytes = 4u << 20;  // 1,001 entries of bounded strings: far less

}  // namespace

std::vector<DroppedCount> parse_counters(std::string_view text) {
  std::vector<DroppedCount> out;
  auto parsed = protocol::parse_bounded_json(text);
  if (!parsed || !parsed.value().is_object()) return out;
  const auto& j = parsed.value();
  if (!j.contains("dropped") || !j["dropped"].is_array()) return out;
  for (const auto& e : j["dropped"]) {
    if (!e.is_object()) continue;
    DroppedCount d;
    auto str = [&](const char* k, std::string& to) {
      if (e.contains(k) && e[k].is_string()) to = e[k].get<std::string>();
    };
    str("exe", d.exe);
    str("comm", d.comm);
    if (!e.contains("count") || !e["count"].is_number_unsigned()) continue;
    d.count = e["count"].get<uint64_t>();
    if (e.contains("signal") && e["signal"].is_number_integer()) d.signal = e["signal"].get<int>();
    if (e.contains("first_ms") && e["first_ms"].is_number_integer()) d.first_ms = e["first_ms"].get<int64_t>();
    if (e.contains("last_ms") && e["last_ms"].is_number_integer()) d.last_ms = e["last_ms"].get<int64_t>();
    if (d.count == 0 || d.count > (uint64_t{1} << 48)) continue;
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<DroppedCount> take_counters(const std::filesystem::path& spool_dir) {
  const auto file = spool_dir / "counters.json";
  const auto taken = spool_dir / ("counters.json.taken." + std::to_string(::getpid()));
  if (::rename(file.c_str(), taken.c_str()) != 0) return {};
  UniqueFd fd(::open(taken.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  ::unlink(taken.c_str());
  if (!fd.valid()) return {};
  // A handler that locked it before the rename may still be writing: wait for its flock.
  ::flock(fd.get(), LOCK_SH);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || static_cast<std::size_t>(st.st_size) > kMaxCountersBytes)
    return {};
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::pread(fd.get(), text.data() + off, text.size() - off, static_cast<off_t>(off));
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  text.resize(off);
  return parse_counters(text);
}

void DroppedTotals::add(const std::vector<DroppedCount>& counts) {
  std::lock_guard lock(mutex_);
  for (const auto& c : counts) {
    auto key = std::make_pair(c.exe, c.signal);
    if (!by_key_.count(key) && by_key_.size() >= kMaxEntries) key = {"*", 0};
    auto& t = by_key_[key];
    if (t.count == 0) {
      t = c;
      if (key.first == "*") t.exe = t.comm = "*", t.signal = 0;
    } else {
      t.count += c.count;
      t.first_ms = std::min(t.first_ms, c.first_ms);
      t.last_ms = std::max(t.last_ms, c.last_ms);
    }
    total_ += c.count;
  }
}

uint64_t DroppedTotals::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

nlohmann::json DroppedTotals::to_json() const {
  std::vector<DroppedCount> all;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [k, v] : by_key_) all.push_back(v);
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.count > b.count; });
  auto out = nlohmann::json::array();
  for (const auto& d : all)
    out.push_back({{"exe", d.exe}, {"comm", d.comm}, {"signal", d.signal}, {"count", d.count},
                   {"first_ms", d.first_ms}, {"last_ms", d.last_ms}});
  return out;
}

}  // namespace dbg::coord::crash
