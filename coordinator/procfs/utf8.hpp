#pragma once
// comm and cmdline are bytes chosen by whoever runs the process, not text: any local user can
// name a process with invalid UTF-8. nlohmann::json::dump() throws on invalid UTF-8, so these
// strings are repaired before they enter JSON; otherwise one oddly named process would break
// every listing that includes it.
#include <string>
#include <string_view>

namespace dbg::coord::procfs {

// Valid UTF-8 is returned unchanged; each byte of an invalid sequence becomes U+FFFD.
std::string to_valid_utf8(std::string_view bytes);

}  // namespace dbg::coord::procfs
