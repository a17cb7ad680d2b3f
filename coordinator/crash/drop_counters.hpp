#pragma once
// spool/counters.json: crashes the handler could not spool (the spool was full), counted by
// executable and signal (docs/crash-capture.md). The coordinator takes the counts out by
// renaming the file away (a handler that locks the old file afterwards sees that the path no
// longer names it and starts a new one), waiting for the flock of a handler still writing it,
// reading it and unlinking it; then adds them to its own totals.
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace dbg::coord::crash {

struct DroppedCount {
  std::string exe, comm;
  int signal = 0;
  uint64_t count = 0;
  int64_t first_ms = 0, last_ms = 0;
};

// The entries of a counters.json text; malformed entries are skipped (untrusted: the file is
// written by handlers, but a hostile crasher shapes its exe and comm). Pure.
std::vector<DroppedCount> parse_counters(std::string_view text);
// Takes the counts out of <spool>/counters.json (empty when there is none).
std::vector<DroppedCount> take_counters(const std::filesystem::path& spool_dir);

// The totals since start, per (exe, signal); at most kMaxEntries (beyond: one "*" entry).
class DroppedTotals {
 public:
  static constexpr std::size_t kMaxEntries = 1000;
  void add(const std::vector<DroppedCount>& counts);
  uint64_t total() const;
  nlohmann::json to_json() const;  // [{"exe","comm","signal","count","first_ms","last_ms"}], most first

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, DroppedCount> by_key_;
  uint64_t total_ = 0;
};

}  // namespace dbg::coord::crash
