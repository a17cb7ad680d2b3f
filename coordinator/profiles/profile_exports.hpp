#pragma once
// Exports of a stored profile in the formats the tools people already run load:
//   speedscope  speedscope's file format (https://www.speedscope.app/file-format-schema.json):
//               shared frames, one "sampled" profile merged over threads, then one per thread
//   pprof       profile.proto, gzip-compressed: sample types samples/count and cpu/nanoseconds,
//               mappings with build ids, functions with file names, locations with lines (inlined
//               calls as extra lines of one location), a thread label on every sample. Loaded by
//               `go tool pprof`, Pyroscope, Parca and Grafana.
// Folded text lives with the model (dbg/profile.hpp), the worker prints it too.
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "dbg/profile.hpp"

namespace dbg::coord::profiles {

nlohmann::json to_speedscope(const Profile& p, const std::string& name);
// The uncompressed protobuf; gzip it for the wire (pprof_gzip).
std::string to_pprof_proto(const Profile& p);
std::string to_pprof_gzip(const Profile& p);

}  // namespace dbg::coord::profiles
