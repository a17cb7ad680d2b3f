#pragma once
// JobServer: `dbg-worker serve`. Reads one JSON request per line on stdin, answers one JSON
// line on stdout, one job at a time (DESIGN.md, worker protocol). Bad lines get an error
// answer and the server goes on; EOF on stdin ends it.
#include <istream>
#include <ostream>

namespace dbg::worker {

class Snapshotter;

// Returns the process exit code.
int serve(std::istream& in, std::ostream& out, Snapshotter& snapshotter);

}  // namespace dbg::worker
