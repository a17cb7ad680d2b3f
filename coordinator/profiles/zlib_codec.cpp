#include "coordinator/profiles/zlib_codec.hpp"

#include <zlib.h>

#include <stdexcept>

namespace dbg::coord::profiles {

namespace {

// windowBits 15: zlib wrapper; 15 + 16: gzip wrapper (zlib.h, deflateInit2).
std::string deflate_with(std::string_view data, int level, int window_bits) {
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  size_t produced = out.size() - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate did not finish");
  out.resize(produced);
  return out;
}

}  // namespace

std::string zlib_compress(std::string_view data, int level) { return deflate_with(data, level, 15); }
std::string gzip_compress(std::string_view data, int level) { return deflate_with(data, level, 15 + 16); }

Result<std::string> zlib_decompress(std::string_view data, size_t max_bytes) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return Error{"corrupt", "inflateInit failed"};
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char chunk[65536];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(chunk, sizeof chunk - z.avail_out);
    if (out.size() > max_bytes) {
      inflateEnd(&z);
      return Error{"corrupt", "decompressed body larger than " + std::to_string(max_bytes) + " bytes"};
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0) break;
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) return Error{"corrupt", "stored profile body is not a complete zlib stream"};
  return out;
}

}  // namespace dbg::coord::profiles
