#pragma once
// The coordinator's life: prepare the data directory and database, serve HTTP until SIGINT or
// SIGTERM, shut down. Startup failures throw (std::runtime_error and subclasses) for main() to
// report; a clean stop returns kExitOk.
#include "coordinator/config.hpp"

namespace dbg::coord {

int run(const Config& config);

}  // namespace dbg::coord
