#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // see core_config.cpp
#endif
#include "worker/core/core_select.hpp"

namespace dbg::worker::core {

namespace {

bool matches(const std::regex& regex, const std::string& comm, const std::string& cmdline) {
  try {
    if (std::regex_search(comm, regex)) return true;
    return !cmdline.empty() && std::regex_search(cmdline, regex);
  } catch (const std::regex_error&) {
    return false;
  }
}

}  // namespace

const CoreWatch* select_watch(const std::vector<CoreWatch>& watches, const std::string& comm, const std::string& cmdline) {
  for (const auto& w : watches) {
    if (w.all) return &w;
    if (w.regex && matches(*w.regex, comm, cmdline)) return &w;
  }
  return nullptr;
}

}  // namespace dbg::worker::core
