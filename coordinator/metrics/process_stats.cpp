#include "coordinator/metrics/process_stats.hpp"

#include <sys/resource.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace dbg::coord::metrics {

namespace {

// "VmRSS:\t   12345 kB" -> bytes
std::optional<std::int64_t> kb_field(std::string_view text, std::string_view key) {
  auto pos = text.find(key);
  while (pos != std::string_view::npos && pos != 0 && text[pos - 1] != '\n') pos = text.find(key, pos + 1);
  if (pos == std::string_view::npos) return std::nullopt;
  pos += key.size();
  while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
  std::int64_t kb = 0;
  auto [end, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), kb);
  if (ec != std::errc{} || end == text.data() + pos) return std::nullopt;
  return kb * 1024;
}

}  // namespace

std::optional<MemoryStatus> parse_memory_status(std::string_view status_text) {
  auto rss = kb_field(status_text, "VmRSS:");
  auto hwm = kb_field(status_text, "VmHWM:");
  if (!rss || !hwm) return std::nullopt;
  return MemoryStatus{*rss, *hwm};
}

std::optional<MemoryStatus> read_memory(int pid) {
  std::ifstream in(pid == 0 ? std::string("/proc/self/status") : "/proc/" + std::to_string(pid) + "/status");
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return parse_memory_status(text.str());
}

CpuTimes process_cpu() {
  rusage u{};
  if (::getrusage(RUSAGE_SELF, &u) != 0) return {};
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return CpuTimes{seconds(u.ru_utime), seconds(u.ru_stime)};
}

}  // namespace dbg::coord::metrics
