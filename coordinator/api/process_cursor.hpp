#pragma once
// The cursor of GET /api/v1/processes: where the next page starts, as the sort key's value and
// the pid of the last process of this page (keyset paging), and the version of the process table
// (its generation) the page was cut from.
//
// Why the version: score, cpu and rss move at every refresh, and keyset paging over the latest
// table alone lists a process twice or not at all when its value crosses the page boundary
// between two requests. So the version a listing started from is kept (PinnedSnapshots) for a
// short while, and every page of that listing is cut from it: the pages together are one ordered
// list, each process exactly once, whatever changed in between. Once the version is gone (older
// than kPinnedFor, or pushed out by newer listings) the cursor continues on the latest table by
// (value, pid), as before, and the answer says so ("cursor_snapshot": "expired").
// Opaque to clients: base64url of "2|GENERATION|SORT|ORDER|PID|VALUE" (version 1, without the
// generation, is still read: it continues on the latest table).
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "coordinator/ranking/table_snapshot.hpp"
#include "dbg/error.hpp"

namespace dbg::coord::api {

struct ProcessCursor {
  ranking::SortKey key = ranking::SortKey::score;
  ranking::SortOrder order = ranking::SortOrder::desc;
  ranking::SortValue value;
  int pid = 0;
  std::uint64_t generation = 0;  // the table version of the listing; 0: none (a version-1 cursor)
};

std::string encode_cursor(const ProcessCursor& cursor);
// Error "bad_request" naming what is wrong: not base64url, another version, unknown sort, no pid.
Result<ProcessCursor> decode_cursor(std::string_view text);

// The table versions that listings with a cursor page through: a version is kept from the page
// that first handed out a cursor into it for `keep` (not extended by use: a view that refreshes
// its second page sees new values again after at most that long), at most `capacity` at once
// (the oldest goes first). A version shares its unchanged processes with the next ones, but a
// scan renews them all: each kept version can cost up to one table's entries.
class PinnedSnapshots {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kPinnedFor{60};
  static constexpr std::size_t kCapacity = 4;
  explicit PinnedSnapshots(std::chrono::steady_clock::duration keep = kPinnedFor, std::size_t capacity = kCapacity)
      : keep_(keep), capacity_(capacity) {}

  // Keeps `snap` (a no-op when it is kept already).
  void pin(std::shared_ptr<const ranking::TableSnapshot> snap, Clock::time_point now = Clock::now());
  // The kept version with this generation, or null (never kept, expired, pushed out).
  std::shared_ptr<const ranking::TableSnapshot> find(std::uint64_t generation, Clock::time_point now = Clock::now());
  std::size_t size() const;

 private:
  struct Pinned {
    std::shared_ptr<const ranking::TableSnapshot> snap;
    Clock::time_point since;
  };
  void expire(Clock::time_point now);  // with mutex_ held
  const Clock::duration keep_;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::vector<Pinned> pinned_;  // oldest first
};

}  // namespace dbg::coord::api
