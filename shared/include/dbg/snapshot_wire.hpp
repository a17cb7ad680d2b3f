#pragma once
// The snapshot's JSON without a DOM, for the hot path between worker and coordinator.
//
// Why not nlohmann::json here: every snapshot crosses the pipe once, and building a DOM on each
// side (a std::map per frame, a string per key) cost more CPU than the capture itself: a worker
// spent ~15 % of its time building and dumping the result, the coordinator ~25 % parsing it and
// converting the DOM to a Snapshot. The writer appends straight into one string; the reader is a
// SAX handler that fills the Snapshot as tokens arrive. Both produce and accept exactly the JSON
// shape of to_json/from_json (dbg/snapshot.hpp), so either side may use either form.
#include <string>
#include <string_view>

#include "dbg/error.hpp"
#include "dbg/snapshot.hpp"

namespace dbg {

// Appends the snapshot's JSON (the to_json shape, one line). Strings that are not valid UTF-8
// (thread names and paths come from targets) get U+FFFD in place of each bad byte, as
// protocol::dump does.
void append_snapshot_json(std::string& out, const Snapshot& s);

// Parses the to_json shape into a Snapshot. Unknown keys are skipped (newer workers may add
// fields); a missing required field (pid, threads, a thread's tid, a frame's pc and offset), a
// value of the wrong type or nesting deeper than max_depth is Error{"bad_request"}.
Result<Snapshot> parse_snapshot_json(std::string_view text, int max_depth = 16);

// Appends `text` as a JSON string literal (quotes included), replacing invalid UTF-8.
void append_json_string(std::string& out, std::string_view text);

}  // namespace dbg
