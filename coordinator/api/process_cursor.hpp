#pragma once
// The cursor of GET /api/v1/processes: where the next page starts, as the sort key's value and
// the pid of the last process of this page (keyset paging), so processes born or gone between
// two requests shift nothing: every process that lives through the paging is listed exactly once
// when the key does not change under it (pid, comm; score, cpu and rss move at a refresh, and a
// process whose value moved across the page boundary can then be seen twice or not at all).
// Opaque to clients: base64url of "1|SORT|ORDER|PID|VALUE".
#include <string>
#include <string_view>

#include "coordinator/ranking/table_snapshot.hpp"
#include "dbg/error.hpp"

namespace dbg::coord::api {

struct ProcessCursor {
  ranking::SortKey key = ranking::SortKey::score;
  ranking::SortOrder order = ranking::SortOrder::desc;
  ranking::SortValue value;
  int pid = 0;
};

std::string encode_cursor(const ProcessCursor& cursor);
// Error "bad_request" naming what is wrong: not base64url, another version, unknown sort, no pid.
Result<ProcessCursor> decode_cursor(std::string_view text);

}  // namespace dbg::coord::api
