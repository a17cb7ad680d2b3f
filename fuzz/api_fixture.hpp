#pragma once
// The /api/v1 routes that need a scheduler, a worker pool or the crash watch (sessions,
// snapshots, profiles, watches, processes), wired for the http fuzz target as app.cpp wires
// them, with one difference: nothing may be traced and no process is ever started.
//  - The target policy's allowlist matches nothing, so every session target and every watch is
//    refused (not_allowlisted, or pid_1 / coordinator for those two pids) before a job or a
//    watcher exists: the validation and rejection paths are what is fuzzed.
//  - Defence in depth: the pool may start no worker (max_workers 0) and both executables are
//    paths that do not exist.
// One snapshot and one profile are stored first, so that GET /snapshots/1 and /profiles/1
// reach their formatters (json, text, folded, speedscope, pprof) and not only the 404.
#include <boost/asio/io_context.hpp>
#include <memory>

#include "coordinator/errors/error_service.hpp"

namespace dbg::coord {
namespace events {
class Hub;
}
namespace http {
class Router;
}
namespace store {
class Store;
}
}  // namespace dbg::coord

namespace dbg::fuzz {

struct ApiFixture;

// Adds the routes to `router`. The fixture owns everything the routes refer to: keep it alive
// as long as the router is used. Blocks until the seed snapshot and profile are stored.
std::shared_ptr<ApiFixture> add_untraced_api_routes(coord::http::Router& router, boost::asio::io_context& ioc,
                                                    coord::store::Store& store, coord::events::Hub& hub,
                                                    coord::errors::ErrorRecorder recorder);

// True while this process has no child: the fixture's promise that nothing was started (every
// thread's /proc/self/task/TID/children, since a child belongs to the thread that forked it).
bool started_no_process();

}  // namespace dbg::fuzz
