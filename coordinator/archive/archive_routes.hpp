#pragma once
// The archive routes of /api/v1 (docs/api.md, "Archives"):
//   POST /api/v1/archives/run   archive now; 200 with the run's report after its last commit
//   GET  /api/v1/archives       archives without summaries, newest window first; ?group (id),
//                               ?since (unix ms, last_seen >= since), ?limit (1..1000, default 100)
//   GET  /api/v1/archives/{id}  one archive with its decompressed JSON summary; 400 for an id
//                               that is not a positive integer, 404 for an unknown one
#include "coordinator/http/router.hpp"

namespace dbg::coord::archive {

class Archiver;

void add_archive_routes(http::Router& router, Archiver& archiver);

}  // namespace dbg::coord::archive
