#pragma once
// Direct JSON text for the ingest hot path: error frames and strings written straight into a
// std::string, without building an nlohmann tree first (that tree cost ~20 µs per event of five
// frames, more than everything else an event costs). Output is always valid JSON: control
// characters are escaped and invalid UTF-8 is replaced by U+FFFD, like nlohmann's `replace`.
#include <string>
#include <string_view>
#include <vector>

#include "dbg/snapshot.hpp"
#include "dbg/snapshot_wire.hpp"

namespace dbg::coord::errors {

// Appends s as a JSON string literal (quotes included): the one writer the worker protocol uses
// too (dbg/snapshot_wire.hpp).
using dbg::append_json_string;

// The frames as a JSON array in the shape of dbg::to_json(Frame) (snapshot.hpp): {"file",
// "function", "inlined", "line", "module", "offset", "pc"}, keys sorted as nlohmann sorts them.
std::string frames_json(const std::vector<Frame>& frames);

// ["a","b",...]: what nlohmann::json(items).dump() gives, without the tree.
std::string string_array_json(const std::vector<std::string>& items);

}  // namespace dbg::coord::errors
