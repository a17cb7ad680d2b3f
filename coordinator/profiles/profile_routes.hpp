#pragma once
// GET /api/v1/profiles/{id}?format=json|folded|speedscope|pprof[&thread=TID][&group=thread]
//   json        the stored profile (dbg/profile.hpp) plus id, session_id, created_at_ms
//   folded      flame-graph input, merged over threads; group=thread roots each stack at its
//               thread, thread=TID keeps one thread (also for speedscope and pprof)
//   speedscope  speedscope's JSON file format
//   pprof       gzip-compressed profile.proto
// Unknown format, malformed id or thread: 400; unknown profile: 404.
#include "coordinator/http/router.hpp"

namespace dbg::coord::store {
class Store;
}

namespace dbg::coord::profiles {

void add_profile_routes(http::Router& router, store::Store& store);

}  // namespace dbg::coord::profiles
