#pragma once
// zlib in the three forms profiles need: zlib streams for the stored body (compact, checksummed),
// and gzip for pprof, whose files are gzip-compressed protobuf by convention (pprof, Pyroscope,
// Parca and Grafana all expect it).
#include <cstdint>
#include <string>
#include <string_view>

#include "dbg/error.hpp"

namespace dbg::coord::profiles {

std::string zlib_compress(std::string_view data, int level = 6);
// Error "corrupt" when data is not a complete zlib stream; output bounded by max_bytes.
Result<std::string> zlib_decompress(std::string_view data, size_t max_bytes);
std::string gzip_compress(std::string_view data, int level = 6);

}  // namespace dbg::coord::profiles
