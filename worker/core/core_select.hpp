#pragma once
// Which watch of handler.json a crashed process falls under: the first whose `all` is true or
// whose regex finds (a search, not a full match) the comm, then the command line. The
// coordinator's rule (coordinator/procfs/process_match.hpp), on the same reads (core_process.hpp).
#include <string>
#include <vector>

#include "worker/core/core_config.hpp"

namespace dbg::worker::core {

// nullptr when no watch selects the process. A regex the engine gives up on (error_complexity,
// error_stack) does not select, as in the coordinator.
const CoreWatch* select_watch(const std::vector<CoreWatch>& watches, const std::string& comm, const std::string& cmdline);

}  // namespace dbg::worker::core
