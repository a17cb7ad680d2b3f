#include "coordinator/procfs/utf8.hpp"

#include "dbg/utf8.hpp"

namespace dbg::coord::procfs {

std::string to_valid_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    std::size_t n = utf8_sequence_length(bytes, i);
    if (n == 0) {
      out += kUtf8Replacement;
      ++i;
    } else {
      out.append(bytes.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace dbg::coord::procfs
