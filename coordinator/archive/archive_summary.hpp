#pragma once
// What an archive keeps of the raw events it replaced: one ArchiveSummary per (error group, time
// window), built by folding events in, and its JSON form (docs/api.md, "Archives"), which is
// what gets compressed into error_archives.summary. Pure: no SQL, no zlib, so the folding rules
// are tested on their own.
//
// Bounded whatever the input: at most kMaxSamples sample events (with their context), and at
// most kMaxDistinct distinct values per tally; events beyond that are still counted, under
// "other" of the tally. So an archive of a million events costs a few KB, not a million messages.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dbg/error.hpp"

namespace dbg::coord::archive {

inline constexpr std::size_t kMaxSamples = 3;
inline constexpr std::size_t kMaxDistinct = 1000;

// One error_events row as the archiver reads it.
struct RawEvent {
  int64_t id = 0;
  int64_t group_id = 0;
  int64_t received_at = 0;
  int64_t timestamp = 0;
  std::string source, kind, type, message;
  int64_t pid = 0;
  std::string comm;
  int64_t stack_id = 0;
  std::string context_json;
};

// What the row held: its text columns plus 8 bytes for each of its 7 integer columns (what
// raw_bytes and the compression ratio count).
int64_t raw_size(const RawEvent& e);

// Counts per distinct value, at most kMaxDistinct values; the rest counted in `other`.
template <typename Key>
struct Tally {
  std::map<Key, int64_t> counts;
  int64_t other = 0;
  void add(const Key& key, int64_t n = 1) {
    if (auto it = counts.find(key); it != counts.end()) {
      it->second += n;
    } else if (counts.size() < kMaxDistinct) {
      counts.emplace(key, n);
    } else {
      other += n;
    }
  }
};

class ArchiveSummary {
 public:
  ArchiveSummary(int64_t group_id, int64_t window_start, int64_t window_end);

  // Folds one event in (events of this group and window; the caller groups them).
  void add(const RawEvent& e);
  // Folds another summary of the same group and window in (a later run found more events):
  // counts add up, samples keep this one's first.
  void merge(const ArchiveSummary& later);

  // The document as text, what gets compressed. Samples are kept as JSON text, not as trees: a
  // watch event's context (registers, every thread's frames) is a few KB of text but ten times
  // that as a DOM, and a chunk holds hundreds of summaries (measured: 70 MB RSS with trees).
  std::string to_text() const;
  nlohmann::json to_json() const;  // to_text() parsed (tests, merging)
  // The inverse of to_json (an archive read back to be merged); Error "corrupt" on a document
  // that is not one.
  static Result<ArchiveSummary> from_json(const nlohmann::json& j);

  int64_t group_id() const { return group_id_; }
  int64_t window_start() const { return window_start_; }
  int64_t window_end() const { return window_end_; }
  int64_t event_count() const { return event_count_; }
  int64_t first_seen() const { return first_seen_; }
  int64_t last_seen() const { return last_seen_; }
  int64_t raw_bytes() const { return raw_bytes_; }

 private:
  int64_t group_id_, window_start_, window_end_;
  int64_t event_count_ = 0;
  int64_t first_seen_ = 0, last_seen_ = 0;  // event timestamps
  int64_t first_received_ = 0, last_received_ = 0;
  int64_t raw_bytes_ = 0;
  Tally<std::string> messages_, types_, comms_, sources_, kinds_;
  Tally<int64_t> pids_, stacks_;
  std::vector<std::string> samples_;  // each one sample object as JSON text
};

// The window an event belongs to: [floor(timestamp / window) * window, + window).
int64_t window_start_of(int64_t timestamp_ms, int64_t window_ms);

}  // namespace dbg::coord::archive
